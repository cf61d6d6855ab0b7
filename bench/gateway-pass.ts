// Section 2's child process: one pass of the packaged submitJob handler against a raw
// SubmitJobCommand (bench/gateway.ts forks it with GATEWAY_PASS_FLAG).
import { createRequire } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import postJobsFixture from '../test/fixtures/http/post-jobs.json';
import type { ChildMessage, ParentMessage, PassConfig } from './gateway-protocol';

type SubmitJobModule = typeof import('../handlers/submit-job');
type RawClientModule = Pick<typeof import('@aws-sdk/client-batch'), 'BatchClient' | 'SubmitJobCommand'>;

function ask(message: ChildMessage): Promise<ParentMessage> {
  return new Promise((resolve, reject) => {
    process.once('message', (answer: ParentMessage) => resolve(answer));
    if (!process.send) reject(new Error('the gateway pass must run as a forked child'));
    else process.send(message);
  });
}

const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'batch-registry-gateway-dev-submitJob',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:batch-registry-gateway-dev-submitJob',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  logGroupName: '/aws/lambda/batch-registry-gateway-dev-submitJob',
  logStreamName: '2025/03/14/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 15_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/**
 * The child side of a pass: requires the packaged handler after the parent set its environment
 * (config is read at module load), sends one request, then replays the exact SubmitJob input the
 * handler sent through a raw BatchClient (bundled with the same esbuild settings), warms both up,
 * and alternates blocks of handler and raw calls.
 */
export async function gatewayPass(configJson: string): Promise<void> {
  try {
    const config = JSON.parse(configJson) as PassConfig;
    const load = createRequire(__filename);
    const { handler } = load(config.handlerFile) as SubmitJobModule;
    const { BatchClient, SubmitJobCommand } = load(config.rawClientFile) as RawClientModule;
    const template = structuredClone(postJobsFixture) as unknown as Parameters<typeof handler>[0];
    const body = JSON.stringify({
      ...(JSON.parse(template.body ?? '{}') as Record<string, unknown>),
      image: config.image,
    });
    let sequence = 0;
    /** CPU time of the last timed request, µs, and the [start, end] of every handler request. */
    let lastCpuUs = 0;
    const windows: Array<readonly [number, number]> = [];
    const gcPauses: Array<readonly [number, number]> = [];
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        gcPauses.push([entry.startTime, entry.startTime + entry.duration]);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const callHandler = async (timed = false): Promise<number> => {
      sequence += 1;
      const event = structuredClone(template);
      event.body = body;
      event.requestContext.requestId = `bench-${sequence}`;
      event.requestContext.timeEpoch = Date.now();
      if (config.idempotency === 'new-key') event.headers['idempotency-key'] = `bench-${sequence}`;
      if (config.idempotency === 'replay') event.headers['idempotency-key'] = 'bench-replayed';
      const context = { ...lambdaContext, awsRequestId: `bench-${sequence}` };
      const cpu = process.cpuUsage();
      const startedAt = performance.now();
      const result = await handler(event, context);
      const endedAt = performance.now();
      const used = process.cpuUsage(cpu);
      lastCpuUs = used.user + used.system;
      if (timed) windows.push([startedAt, endedAt]);
      if (result?.statusCode !== 202) {
        throw new Error(`handler answered ${result?.statusCode}: ${result?.body}`);
      }
      if (timed && config.idempotency === 'replay' && result.headers?.['idempotent-replayed'] !== 'true') {
        throw new Error('a replayed Idempotency-Key was not answered as a replay');
      }
      return endedAt - startedAt;
    };

    await ask({ kind: 'mark', phase: 'first', edge: 'start' });
    await callHandler();
    const { submitJobInput, registryAuthorization } = await ask({
      kind: 'mark',
      phase: 'first',
      edge: 'end',
    });
    if (submitJobInput === undefined) throw new Error('the Batch stand-in saw no SubmitJob');
    const [registryHost = '', repositoryTag = ''] = config.image.split(/\/(.*)/);
    const [repository, tag] = repositoryTag.split(':');
    const manifestUrl = `http://${registryHost}/v2/${repository}/manifests/${tag}`;
    const callManifest = async (): Promise<number> => {
      const startedAt = performance.now();
      const answer = await fetch(manifestUrl, {
        method: 'HEAD',
        headers: {
          accept: 'application/vnd.docker.distribution.manifest.v2+json',
          authorization: registryAuthorization ?? '',
        },
      });
      const elapsed = performance.now() - startedAt;
      if (answer.status !== 200) throw new Error(`raw manifest HEAD answered ${answer.status}`);
      return elapsed;
    };

    const raw = new BatchClient({});
    const callRaw = async (): Promise<number> => {
      const command = new SubmitJobCommand(
        structuredClone(submitJobInput) as unknown as ConstructorParameters<typeof SubmitJobCommand>[0],
      );
      const cpu = process.cpuUsage();
      const startedAt = performance.now();
      const answer = await raw.send(command);
      const elapsed = performance.now() - startedAt;
      const used = process.cpuUsage(cpu);
      lastCpuUs = used.user + used.system;
      if (!answer.jobId) throw new Error('raw SubmitJob returned no jobId');
      return elapsed;
    };

    await ask({ kind: 'mark', phase: 'warmup', edge: 'start' });
    for (let i = 1; i < config.warmup; i += 1) {
      await callHandler();
      await callRaw();
      if (config.manifestProbe) await callManifest();
    }
    await ask({ kind: 'mark', phase: 'warmup', edge: 'end' });

    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    const manifestMs: number[] = [];
    const handlerCpuUs: number[] = [];
    const rawCpuUs: number[] = [];
    const sides: ('handler' | 'raw' | 'manifest')[] = [
      'handler',
      'raw',
      ...(config.manifestProbe ? ['manifest' as const] : []),
    ];
    for (let round = 0; round < config.rounds; round += 1) {
      // Rotate which side goes first, so none always follows another.
      const order = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
      for (const side of order) {
        await ask({ kind: 'mark', phase: side, edge: 'start' });
        for (let i = 0; i < config.block; i += 1) {
          if (side === 'handler') {
            handlerMs.push(await callHandler(true));
            handlerCpuUs.push(lastCpuUs);
          } else if (side === 'raw') {
            rawMs.push(await callRaw());
            rawCpuUs.push(lastCpuUs);
          } else manifestMs.push(await callManifest());
        }
        await ask({ kind: 'mark', phase: side, edge: 'end' });
      }
    }
    // gc entries arrive asynchronously: let the last ones in before attributing pauses to requests.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gcObserver.disconnect();
    const handlerGcMs = windows.map(([start, end]) =>
      gcPauses.reduce(
        (total, [from, to]) => total + Math.max(0, Math.min(end, to) - Math.max(start, from)),
        0,
      ),
    );
    process.send?.(
      {
        kind: 'result',
        handlerMs,
        rawMs,
        manifestMs,
        handlerCpuUs,
        rawCpuUs,
        handlerGcMs,
      } satisfies ChildMessage,
      () => process.exit(0),
    );
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown';
    process.send?.({ kind: 'failed', message } satisfies ChildMessage, () => process.exit(1));
  }
}
