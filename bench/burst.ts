// Section: a burst of submissions against AWS Batch's SubmitJob quota (50 calls per second per
// account, fixed), through the real submitJob handler, beside the same work as one array job.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import postJobsFixture from '../test/fixtures/http/post-jobs.json';
import { BURST_QUEUE, startBatchBurstStandIn } from './burst-stand-in';
import { buildLikeFunctions } from './cold-start';
import { startDynamoDbStandIn } from './dynamodb-stand-in';
import { ms, progress, type TargetResult, table } from './report';
import { startSecretsManagerStandIn } from './stand-ins';

/** AWS Batch's SubmitJob quota (Service Quotas: 50 transactions per second per account). */
export const SUBMIT_JOB_PER_SECOND = 50;
const SUBMISSIONS = 2000;
const CALLERS = 50;
const MAX_WALL_RATIO = 1.3;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

function submission(index: number, extra: Record<string, unknown>, prefix: string): APIGatewayProxyEventV2 {
  const event = structuredClone(postJobsFixture) as unknown as APIGatewayProxyEventV2;
  event.body = JSON.stringify({
    image: 'public.ecr.aws/docker/library/busybox:1.36',
    name: `burst-${index}`,
    ...extra,
  });
  event.headers = { ...event.headers, 'idempotency-key': `${prefix}-${index}` };
  event.requestContext.requestId = randomUUID();
  return event;
}

const context = {
  functionName: 'submitJob',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 28_000,
} as unknown as Context;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface BurstRun {
  readonly wallMs: number;
  readonly statuses: Map<number, number>;
}

/** CALLERS concurrent callers share SUBMISSIONS; each honours Retry-After (plus jitter) on a 429. */
async function burst(
  handler: Handler,
  count: number,
  callers: number,
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<BurstRun> {
  const statuses = new Map<number, number>();
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let index = next++; index < count; index = next++) {
        const event = submission(index, extra, prefix);
        for (;;) {
          const answer = await handler(structuredClone(event), context);
          const status = answer.statusCode ?? 0;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status !== 429 && status !== 503) break;
          const retryAfter = Number(answer.headers?.['retry-after'] ?? 1);
          await sleep(retryAfter * 1000 * (0.5 + Math.random()));
        }
      }
    }),
  );
  return { wallMs: performance.now() - startedAt, statuses };
}

function statusText(statuses: Map<number, number>): string {
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status} ×${count}`)
    .join(', ');
}

/** The burst table: 2 000 single submissions against the quota, and one array job of 2 000. */
export async function burstSection(
  root: string,
  dir: string,
): Promise<{ markdown: string; targets: TargetResult[] }> {
  const batch = await startBatchBurstStandIn(SUBMIT_JOB_PER_SECOND);
  const dynamodb = await startDynamoDbStandIn(0);
  const secrets = await startSecretsManagerStandIn(0, {
    arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:bench/burst-AbCdEf`,
    name: 'bench/burst',
    versionId: randomUUID(),
    secretString: JSON.stringify({
      registries: [{ registry_url: 'registry.example.com', username: 'bench', password: 'bench-password' }],
    }),
  });
  try {
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench-secret',
      AWS_ENDPOINT_URL_BATCH: batch.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
      IDEMPOTENCY_TABLE: 'bench-idempotency',
      REGISTRY_SECRET_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:bench/burst-AbCdEf`,
      JOB_QUEUE: BURST_QUEUE,
      ALLOWED_REGISTRIES: 'public.ecr.aws',
      VERIFY_IMAGES: 'false',
      EXECUTION_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/bench-execution`,
      STAGE: 'bench',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      // The report is stdout: the handler's EMF lines would land in it.
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const bundle = await buildLikeFunctions(
      root,
      "export { handler } from './handlers/submit-job';",
      join(dir, 'burst-submit-job.js'),
    );
    const { handler } = createRequire(__filename)(bundle) as { handler: Handler };
    progress(
      `burst: ${SUBMISSIONS} submissions from ${CALLERS} callers against ${SUBMIT_JOB_PER_SECOND} SubmitJob/s`,
    );
    const single = await burst(handler, SUBMISSIONS, CALLERS, 'burst');
    const singleLanded = [...batch.landed.values()];
    const exactlyOnce = singleLanded.length === SUBMISSIONS && singleLanded.every((count) => count === 1);
    const singleSubmitCalls = singleLanded.reduce((sum, count) => sum + count, 0) + batch.throttled;
    const singleThrottled = batch.throttled;
    progress('burst: the same work as one array job');
    batch.landed.clear();
    batch.throttled = 0;
    const array = await burst(handler, 1, 1, 'array', { arraySize: SUBMISSIONS });
    const floorMs = (SUBMISSIONS / SUBMIT_JOB_PER_SECOND) * 1000;
    const fiveXx = (statuses: Map<number, number>) =>
      [...statuses]
        .filter(([status]) => status >= 500 && status !== 503)
        .reduce((sum, [, count]) => sum + count, 0);
    const rows = [
      [
        `${SUBMISSIONS} jobs, one POST each`,
        String(singleSubmitCalls),
        String(singleThrottled),
        statusText(single.statuses),
        exactlyOnce ? 'yes' : 'no',
        ms(single.wallMs),
      ],
      [
        `1 array job of ${SUBMISSIONS}`,
        String(1 + batch.throttled),
        String(batch.throttled),
        statusText(array.statuses),
        batch.arraySizes.length === 1 && batch.arraySizes[0] === SUBMISSIONS ? 'yes' : 'no',
        ms(array.wallMs),
      ],
    ];
    const markdown = [
      `### 7. Burst: ${SUBMISSIONS} submissions, ${CALLERS} callers, SubmitJob quota ${SUBMIT_JOB_PER_SECOND}/s`,
      '',
      'The real submitJob handler against a Batch stand-in that answers TooManyRequestsException above',
      `${SUBMIT_JOB_PER_SECOND} SubmitJob calls in any second; callers send an Idempotency-Key and wait Retry-After (with jitter) on a 429.`,
      `The quota's floor for ${SUBMISSIONS} calls is ${ms(floorMs)}.`,
      '',
      table(
        ['work', 'SubmitJob calls', 'throttled by Batch', 'answers', 'every job once', 'wall time'],
        rows,
      ),
    ].join('\n');
    const targets: TargetResult[] = [
      {
        target: `burst: every job lands exactly once, zero 5xx`,
        measured: `${exactlyOnce ? 'exactly once' : 'not exactly once'}, ${fiveXx(single.statuses)} 5xx`,
        met: exactlyOnce && fiveXx(single.statuses) === 0,
      },
      {
        target: `burst: wall time ≤ ${MAX_WALL_RATIO}× the quota's floor (${ms(floorMs)})`,
        measured: `${ms(single.wallMs)} (${(single.wallMs / floorMs).toFixed(2)}×)`,
        met: single.wallMs <= floorMs * MAX_WALL_RATIO,
      },
      {
        target: 'burst: the same work as one array job takes 1 SubmitJob',
        measured: `${1 + batch.throttled} SubmitJob`,
        met: batch.throttled === 0 && batch.arraySizes.length === 1,
      },
    ];
    return { markdown, targets };
  } finally {
    await batch.stop();
    await secrets.stop();
    await dynamodb.stop();
  }
}
