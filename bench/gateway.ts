// Section 2: the warm path of `POST /jobs` (the real handler, in a child process per
// configuration) against a raw SubmitJobCommand, both to the same loopback Batch stand-in.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import postJobsFixture from '../test/fixtures/http/post-jobs.json';
import { buildLikeFunctions } from './cold-start';
import {
  median,
  metOrNot,
  ms,
  percentile,
  preciseRatio,
  progress,
  ratio,
  type TargetResult,
  table,
} from './report';
import {
  difference,
  type StandIn,
  startBatchStandIn,
  startDynamoDbStandIn,
  startSecretsManagerStandIn,
} from './stand-ins';

/** Requests per side in each pass: ROUNDS blocks of handler calls, raw calls (and raw manifest HEADs). */
const ROUNDS = 10;
/**
 * Per block (3000 samples a side in a pass). p99 is the median of the ROUNDS per-block p99s: one
 * burst of machine noise moves one block's p99, not the reported one. The uncached pass is slower.
 */
const BLOCK = 300;
const UNCACHED_BLOCK = 100;
/** SPEC §14 targets for a warm submit with an Idempotency-Key. */
const MAX_KEYED_RATIO = 2.5;
const MAX_KEYED_AWS_CALLS = 3;
const WARMUP = 30;
const AWS_LATENCY_MS = 0;
const MAX_WARM_RATIO = 1.5;
const PASS_TIMEOUT_MS = 120_000;

export const GATEWAY_PASS_FLAG = '--gateway-pass';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/registries-AbCdEf';
const JOB_QUEUE = 'bench-private-registry-jobs';
/** The Batch stand-in puts a queue whose name holds `fargate` on a Fargate compute environment. */
const FARGATE_JOB_QUEUE = 'bench-fargate-jobs';

export interface BenchRegistry {
  /** The counting proxy in front of the real registry: `127.0.0.1:port`, and its counter. */
  readonly proxy: StandIn;
  readonly username: string;
  readonly password: string;
  /** A pushed image, `repository:tag`. */
  readonly repositoryTag: string;
}

type Phase = 'first' | 'warmup' | 'handler' | 'raw' | 'manifest';

/** Child → parent. */
type ChildMessage =
  | { readonly kind: 'mark'; readonly phase: Phase; readonly edge: 'start' | 'end' }
  | {
      readonly kind: 'result';
      readonly handlerMs: number[];
      readonly rawMs: number[];
      readonly manifestMs: number[];
      /** CPU time (user + system) of the process per request, µs. */
      readonly handlerCpuUs: number[];
      readonly rawCpuUs: number[];
      /** Per handler request: milliseconds of garbage-collection pauses inside it. */
      readonly handlerGcMs: number[];
    }
  | { readonly kind: 'failed'; readonly message: string };

/** Parent → child: the answer to a mark; after the first request, the SubmitJob input it sent. */
interface ParentMessage {
  readonly kind: 'ack';
  readonly submitJobInput?: Record<string, unknown>;
  /** Basic authorization for the raw manifest HEAD (sent over IPC, not argv, so `ps` shows no credential). */
  readonly registryAuthorization?: string;
}

interface PassConfig {
  /** The packaged submitJob bundle (from `serverless package`). */
  readonly handlerFile: string;
  /** `BatchClient` and `SubmitJobCommand`, bundled with the functions' esbuild settings. */
  readonly rawClientFile: string;
  readonly image: string;
  readonly rounds: number;
  readonly block: number;
  readonly warmup: number;
  /** Also time a raw manifest HEAD (the registry round trip the uncached handler makes). */
  readonly manifestProbe: boolean;
  /** Send an Idempotency-Key: a new one per request, or the same one (every request after the first replays). */
  readonly idempotency?: 'new-key' | 'replay';
}

interface PhaseCalls {
  aws: Map<string, number>;
  registry: Map<string, number>;
}

interface PassResult {
  readonly label: string;
  readonly block: number;
  readonly handlerMs: number[];
  readonly rawMs: number[];
  readonly manifestMs: number[];
  readonly handlerCpuUs: number[];
  readonly rawCpuUs: number[];
  readonly handlerGcMs: number[];
  readonly calls: Record<Phase, PhaseCalls>;
}

/** The median of the per-block p99s (samples are in block order). */
function blockP99(samples: readonly number[], block: number): number {
  const p99s: number[] = [];
  for (let start = 0; start + block <= samples.length; start += block) {
    p99s.push(percentile(samples.slice(start, start + block), 99));
  }
  return median(p99s);
}

function us(value: number): string {
  return `${Math.round(value)} µs`;
}

function add(into: Map<string, number>, from: Map<string, number>): void {
  for (const [operation, count] of from) into.set(operation, (into.get(operation) ?? 0) + count);
}

function sum(calls: Map<string, number>): number {
  let total = 0;
  for (const count of calls.values()) total += count;
  return total;
}

function describeCalls(calls: Map<string, number>, per = 1): string {
  if (calls.size === 0) return 'none';
  return [...calls]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation} ×${Number((count / per).toFixed(3))}`)
    .join(', ');
}

/** Runs one pass of the handler in a fresh node process with `extraEnv`, counting calls per phase. */
async function runPass(
  label: string,
  extraEnv: Record<string, string>,
  config: PassConfig,
  standIns: { batch: StandIn; secrets: StandIn; dynamodb: StandIn; registry: StandIn },
  registryAuthorization: string,
): Promise<PassResult> {
  const snapshotAws = () => {
    const all = new Map(standIns.batch.calls.snapshot());
    add(all, standIns.secrets.calls.snapshot());
    add(all, standIns.dynamodb.calls.snapshot());
    return all;
  };
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot find the bench script to fork');
  const child = fork(entry, [GATEWAY_PASS_FLAG, JSON.stringify(config)], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIABENCHEXAMPLE0000',
      AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-not-real',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_BATCH: standIns.batch.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: standIns.secrets.url,
      AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamodb.url,
      IDEMPOTENCY_TABLE: 'bench-idempotency',
      REGISTRY_SECRET_ARN: SECRET_ARN,
      JOB_QUEUE,
      EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/bench-execution',
      POWERTOOLS_SERVICE_NAME: 'batch-registry-gateway',
      ...extraEnv,
    },
    // The handler's log lines (one per request, as in Lambda) go to a pipe that is drained.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const calls = {} as Record<Phase, PhaseCalls>;
  for (const phase of ['first', 'warmup', 'handler', 'raw', 'manifest'] as const) {
    calls[phase] = { aws: new Map(), registry: new Map() };
  }
  let started = { aws: new Map<string, number>(), registry: new Map<string, number>() };

  return new Promise<PassResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway pass "${label}" took longer than ${PASS_TIMEOUT_MS} ms`));
    }, PASS_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'mark') {
        const now = { aws: snapshotAws(), registry: standIns.registry.calls.snapshot() };
        if (message.edge === 'end') {
          add(calls[message.phase].aws, difference(now.aws, started.aws));
          add(calls[message.phase].registry, difference(now.registry, started.registry));
        }
        started = now;
        const answer: ParentMessage =
          message.phase === 'first' && message.edge === 'end'
            ? { kind: 'ack', submitJobInput: standIns.batch.lastRequest?.(), registryAuthorization }
            : { kind: 'ack' };
        child.send(answer);
      } else if (message.kind === 'result') {
        clearTimeout(timer);
        resolve({
          label,
          block: config.block,
          handlerMs: message.handlerMs,
          rawMs: message.rawMs,
          manifestMs: message.manifestMs,
          handlerCpuUs: message.handlerCpuUs,
          rawCpuUs: message.rawCpuUs,
          handlerGcMs: message.handlerGcMs,
          calls,
        });
      } else {
        clearTimeout(timer);
        reject(new Error(`gateway pass "${label}" failed: ${message.message}\n${stderr}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway pass "${label}" exited with ${code} before reporting:\n${stderr}`));
    });
  });
}

/**
 * Section 2: passes of the packaged handler in fresh processes: the default (manifest checks cached
 * 30 s), uncached, the default on a Fargate queue with task credentials (SPEC §11), without the
 * per-request INFO log line (where the tail comes from), and with an Idempotency-Key (a new key per
 * request; the same key replayed).
 */
export async function gatewaySection(
  root: string,
  dir: string,
  registry: BenchRegistry,
  handlerFile: string,
): Promise<{ markdown: string; targets: TargetResult[] }> {
  const rawClientFile = await buildLikeFunctions(
    root,
    "export { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';",
    join(dir, 'raw-batch-client.js'),
  );
  const secretString = JSON.stringify({
    registries: [
      { registry_url: registry.proxy.url, username: registry.username, password: registry.password },
    ],
  });
  const batch = await startBatchStandIn(AWS_LATENCY_MS);
  const secrets = await startSecretsManagerStandIn(AWS_LATENCY_MS, {
    arn: SECRET_ARN,
    name: 'bench/registries',
    versionId: 'a1b2c3d4-5678-90ab-cdef-BENCH0000001',
    secretString,
  });
  const dynamodb = await startDynamoDbStandIn(AWS_LATENCY_MS);
  const config: PassConfig = {
    handlerFile,
    rawClientFile,
    image: `${registry.proxy.host}/${registry.repositoryTag}`,
    rounds: ROUNDS,
    block: BLOCK,
    warmup: WARMUP,
    manifestProbe: false,
  };
  const passes: PassResult[] = [];
  try {
    const authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
    const plan: Array<[string, Record<string, string>, Partial<PassConfig>]> = [
      ['IMAGE_CACHE_SECONDS=30 (default)', {}, {}],
      ['IMAGE_CACHE_SECONDS=0', { IMAGE_CACHE_SECONDS: '0' }, { manifestProbe: true, block: UNCACHED_BLOCK }],
      // SPEC §11: a Fargate queue, task credentials (repositoryCredentials), defaults otherwise.
      ['Fargate queue', { JOB_QUEUE: FARGATE_JOB_QUEUE }, {}],
      ['default, POWERTOOLS_LOG_LEVEL=WARN (no per-request log line)', { POWERTOOLS_LOG_LEVEL: 'WARN' }, {}],
      ['Idempotency-Key, a new key per request', {}, { idempotency: 'new-key' }],
      ['Idempotency-Key, the same key replayed', {}, { idempotency: 'replay' }],
    ];
    for (const [label, env, overrides] of plan) {
      const pass = { ...config, ...overrides };
      progress(
        `POST /jobs pass ${label}: ${WARMUP} warm-up, then ${ROUNDS * pass.block} handler and raw calls`,
      );
      passes.push(
        await runPass(
          label,
          env,
          pass,
          { batch, secrets, dynamodb, registry: registry.proxy },
          authorization,
        ),
      );
    }
  } finally {
    await batch.stop();
    await secrets.stop();
    await dynamodb.stop();
  }

  const rows = passes.flatMap((pass) => {
    const handler = { p50: median(pass.handlerMs), p99: blockP99(pass.handlerMs, pass.block) };
    const raw = { p50: median(pass.rawMs), p99: blockP99(pass.rawMs, pass.block) };
    return [
      [
        `handler, ${pass.label}`,
        String(pass.handlerMs.length),
        ms(handler.p50),
        ms(handler.p99),
        us(median(pass.handlerCpuUs)),
        describeCalls(pass.calls.handler.aws, pass.handlerMs.length),
        describeCalls(pass.calls.handler.registry, pass.handlerMs.length),
        ratio(handler.p50 / raw.p50),
        ratio(handler.p99 / raw.p99),
      ],
      [
        'raw SubmitJobCommand',
        String(pass.rawMs.length),
        ms(raw.p50),
        ms(raw.p99),
        us(median(pass.rawCpuUs)),
        describeCalls(pass.calls.raw.aws, pass.rawMs.length),
        describeCalls(pass.calls.raw.registry, pass.rawMs.length),
        '1.00×',
        '1.00×',
      ],
      ...(pass.manifestMs.length === 0
        ? []
        : [
            [
              'raw manifest HEAD (fetch, Basic auth)',
              String(pass.manifestMs.length),
              ms(median(pass.manifestMs)),
              ms(blockP99(pass.manifestMs, pass.block)),
              '',
              describeCalls(pass.calls.manifest.aws, pass.manifestMs.length),
              describeCalls(pass.calls.manifest.registry, pass.manifestMs.length),
              '',
              '',
            ],
          ]),
    ];
  });
  const tailRows = passes.map((pass) => {
    const cutoff = percentile(pass.handlerMs, 99);
    const tail = pass.handlerMs.flatMap((elapsed, index) => (elapsed >= cutoff ? [index] : []));
    const withGc = tail.filter((index) => (pass.handlerGcMs[index] ?? 0) > 0);
    const rest = pass.handlerMs.flatMap((_, index) => (tail.includes(index) ? [] : [index]));
    const restWithGc = rest.filter((index) => (pass.handlerGcMs[index] ?? 0) > 0);
    const share = (part: number, whole: number) => `${whole === 0 ? 0 : Math.round((100 * part) / whole)} %`;
    return [
      pass.label,
      `${tail.length}`,
      `${withGc.length} (${share(withGc.length, tail.length)})`,
      share(restWithGc.length, rest.length),
      ms(median(withGc.map((index) => pass.handlerGcMs[index] ?? 0))),
      us(percentile(pass.handlerCpuUs, 99)),
    ];
  });
  const first = passes[0]?.calls.first;
  const firstOnFargate = passes.find((pass) => pass.label === 'Fargate queue')?.calls.first;
  const markdown = [
    '### 2. `POST /jobs` warm path',
    '',
    'The packaged submitJob bundle (from section 1) in a fresh node process per configuration; AWS Batch,',
    `Secrets Manager and DynamoDB as loopback HTTP stand-ins (${AWS_LATENCY_MS} ms added latency, the same for each)`,
    'reached through `AWS_ENDPOINT_URL_<SERVICE>`; the CNCF distribution registry (htpasswd) behind a',
    'counting proxy. The raw side replays the exact SubmitJob input the handler sent, through a',
    'BatchClient bundled with the same esbuild settings. After warm-up, handler and raw calls alternate',
    `in ${ROUNDS} blocks of ${BLOCK} (${UNCACHED_BLOCK} uncached); p99 is the median of the ${ROUNDS} per-block p99s;`,
    'CPU is the process CPU time (user + system) per request; calls are counted where they arrive.',
    '',
    table(
      [
        'side',
        'requests',
        'p50',
        'p99 (block median)',
        'CPU p50',
        'AWS calls / request',
        'registry calls / request',
        'p50 ratio',
        'p99 ratio',
      ],
      rows,
    ),
    '',
    'With IMAGE_CACHE_SECONDS=0 the handler checks the manifest on every request; the "raw manifest HEAD"',
    'row times that registry round trip alone (same proxy, same credentials). The latency targets apply',
    'to the default configuration and to the Idempotency-Key passes.',
    '',
    `First request of a new container (cache cold): AWS ${describeCalls(first?.aws ?? new Map())};`,
    `registry ${describeCalls(first?.registry ?? new Map())}. On a Fargate queue: AWS`,
    `${describeCalls(firstOnFargate?.aws ?? new Map())} (the queue's platform is learned once per container).`,
    '',
    'Where the handler tail comes from: the requests at or above the pass p99, how many had a',
    'garbage-collection pause inside them (PerformanceObserver `gc` entries), against the share of the',
    'other requests that had one.',
    '',
    table(
      [
        'pass',
        'tail requests',
        'with a GC pause',
        'GC share of the rest',
        'GC pause in the tail (median)',
        'CPU p99',
      ],
      tailRows,
    ),
  ].join('\n');

  const byLabel = (prefix: string) => passes.filter((pass) => pass.label.startsWith(prefix));
  const awsPerRequest = (pass: PassResult) => sum(pass.calls.handler.aws) / pass.handlerMs.length;
  const callTargets: TargetResult[] = passes
    .filter((pass) => !pass.label.startsWith('Idempotency-Key'))
    .map((pass) => {
      const onlySubmit = [...pass.calls.handler.aws.keys()].every(
        (operation) => operation === 'POST /v1/submitjob',
      );
      return {
        target: `warm submit makes exactly 1 AWS call, ${pass.label}`,
        measured: `${Number(awsPerRequest(pass).toFixed(3))} / request (${describeCalls(pass.calls.handler.aws, pass.handlerMs.length)})`,
        met: awsPerRequest(pass) === 1 && onlySubmit,
      };
    });
  // The latency targets are for the default configuration; with IMAGE_CACHE_SECONDS=0 every request
  // also waits for a registry round trip, which the table shows.
  const latencyTargets: TargetResult[] = passes.slice(0, 1).flatMap((pass) => {
    const p50 = median(pass.handlerMs) / median(pass.rawMs);
    const p99 = blockP99(pass.handlerMs, pass.block) / blockP99(pass.rawMs, pass.block);
    return [
      {
        target: `warm submit p50 ≤ ${ratio(MAX_WARM_RATIO)} raw, ${pass.label}`,
        measured: `${ms(median(pass.handlerMs))} / ${ms(median(pass.rawMs))} = ${preciseRatio(p50)}`,
        met: p50 <= MAX_WARM_RATIO,
      },
      {
        target: `warm submit p99 (median of block p99s) ≤ ${ratio(MAX_WARM_RATIO)} raw, ${pass.label}`,
        measured: `${ms(blockP99(pass.handlerMs, pass.block))} / ${ms(blockP99(pass.rawMs, pass.block))} = ${preciseRatio(p99)}`,
        met: p99 <= MAX_WARM_RATIO,
      },
    ];
  });
  const keyedTargets: TargetResult[] = byLabel('Idempotency-Key, a new key').flatMap((pass) => {
    const p50 = median(pass.handlerMs) / median(pass.rawMs);
    return [
      {
        target: `warm submit with an Idempotency-Key makes ≤ ${MAX_KEYED_AWS_CALLS} AWS calls`,
        measured: `${Number(awsPerRequest(pass).toFixed(3))} / request (${describeCalls(pass.calls.handler.aws, pass.handlerMs.length)})`,
        met: awsPerRequest(pass) <= MAX_KEYED_AWS_CALLS,
      },
      {
        target: `warm submit with an Idempotency-Key p50 ≤ ${ratio(MAX_KEYED_RATIO)} raw SubmitJob`,
        measured: `${ms(median(pass.handlerMs))} / ${ms(median(pass.rawMs))} = ${preciseRatio(p50)}`,
        met: p50 <= MAX_KEYED_RATIO,
      },
    ];
  });
  const replayTargets: TargetResult[] = byLabel('Idempotency-Key, the same key').map((pass) => {
    const submits = pass.calls.handler.aws.get('POST /v1/submitjob') ?? 0;
    return {
      target: 'a replayed Idempotency-Key makes 0 SubmitJob calls',
      measured: `${submits} SubmitJob in ${pass.handlerMs.length} replays (${describeCalls(pass.calls.handler.aws, pass.handlerMs.length)})`,
      met: submits === 0,
    };
  });
  const targets = [...callTargets, ...latencyTargets, ...keyedTargets, ...replayTargets];
  progress(`POST /jobs: ${targets.map((target) => metOrNot(target.met)).join(', ')}`);
  return { markdown, targets };
}

// ---- The child process ----------------------------------------------------------------------

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
