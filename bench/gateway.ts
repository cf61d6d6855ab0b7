// Section 2: the warm path of `POST /jobs` (the real handler, in a child process per
// configuration) against a raw SubmitJobCommand, both to the same loopback Batch stand-in.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { buildLikeFunctions } from './cold-start';
import { startDynamoDbStandIn } from './dynamodb-stand-in';
import {
  AWS_LATENCY_MS,
  BLOCK,
  type ChildMessage,
  GATEWAY_PASS_FLAG,
  type ParentMessage,
  type PassConfig,
  type PassResult,
  type Phase,
  type PhaseCalls,
  ROUNDS,
  UNCACHED_BLOCK,
  WARMUP,
} from './gateway-protocol';
import { gatewayMarkdown, gatewayTargets } from './gateway-report';
import { metOrNot, progress, type TargetResult } from './report';
import { difference, type StandIn, startBatchStandIn, startSecretsManagerStandIn } from './stand-ins';

export { gatewayPass } from './gateway-pass';
export { GATEWAY_PASS_FLAG } from './gateway-protocol';

const PASS_TIMEOUT_MS = 120_000;

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

function add(into: Map<string, number>, from: Map<string, number>): void {
  for (const [operation, count] of from) into.set(operation, (into.get(operation) ?? 0) + count);
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
        const { kind: _, ...samples } = message;
        resolve({ label, block: config.block, ...samples, calls });
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

  const targets = gatewayTargets(passes);
  progress(`POST /jobs: ${targets.map((target) => metOrNot(target.met)).join(', ')}`);
  return { markdown: gatewayMarkdown(passes), targets };
}
