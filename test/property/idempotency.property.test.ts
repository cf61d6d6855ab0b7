import { SubmitJobCommand, type SubmitJobCommandInput } from '@aws-sdk/client-batch';
import fc from 'fast-check';
import { logger } from '../../lib/logger';
import { dynamoThrottled, FakeIdempotencyTable } from '../helpers/fake-idempotency-table';
import { batchTooManyRequests, lambdaContext, OWNER } from '../helpers/handler-harness';
import {
  acceptJob,
  IDEMPOTENCY_ENV,
  numberedJobId,
  postJobsEvent,
  submitJobHarness,
} from '../helpers/submit-job-harness';

// 2 000 generated sequences of (key, body, caller) requests, some concurrent, with DynamoDB and
// Batch throttling at random: never two jobs for one (owner, key), never a 5xx, a 202 exactly
// when the (owner, key) has its job, and every 202 of an (owner, key) names that one job.

const CALLERS = [
  `${OWNER}/session-a`,
  `${OWNER}/session-b`,
  'arn:aws:sts::123456789012:assumed-role/other-team/run',
  'arn:aws:iam::123456789012:user/ci',
] as const;
const OWNERS = [
  OWNER,
  OWNER,
  'arn:aws:sts::123456789012:assumed-role/other-team',
  'arn:aws:iam::123456789012:user/ci',
];
const KEYS = ['k1', 'k2', 'k 3'] as const;

const { batchMock, handle } = submitJobHarness({
  env: IDEMPOTENCY_ENV,
  registries: [{ registry_url: 'https://registry.example.com', username: 'bot', password: 'pw-property' }],
});
const context = lambdaContext(27_000, 'property');
const table = new FakeIdempotencyTable();
let jobs: SubmitJobCommandInput[] = [];
let throttleRate = 0;
let random: () => number = Math.random;

beforeAll(() => {
  logger.setLogLevel('SILENT');
  table.install();
  table.fault = () => (random() < throttleRate ? dynamoThrottled() : undefined);
});

beforeEach(() => {
  batchMock.on(SubmitJobCommand).callsFake(async (input: SubmitJobCommandInput) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (random() < throttleRate) throw batchTooManyRequests();
    return acceptJob(jobs, input);
  });
});

interface Step {
  readonly caller: number;
  readonly key: number;
  /** Which of three bodies for this key. */
  readonly variant: number;
  /** Send the members in reverse order, with spaces (the same JSON value). */
  readonly reordered: boolean;
  /** Runs at the same time as the step before it. */
  readonly concurrent: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  caller: fc.integer({ min: 0, max: CALLERS.length - 1 }),
  key: fc.integer({ min: 0, max: KEYS.length - 1 }),
  variant: fc.integer({ min: 0, max: 2 }),
  reordered: fc.boolean(),
  concurrent: fc.boolean(),
});

function requestBody(step: Step): string {
  const body = {
    image: 'registry.example.com/team/app:1.4.2',
    command: ['run', `variant-${step.variant}`],
    environment: { PROBE_KEY: KEYS[step.key] ?? '', B: '1' },
  };
  if (!step.reordered) return JSON.stringify(body);
  return `{ "environment": { "B": "1", "PROBE_KEY": ${JSON.stringify(body.environment.PROBE_KEY)} }, "command": ${JSON.stringify(body.command)}, "image": "${body.image}" }`;
}

async function send(step: Step): Promise<{ step: Step; status: number; jobId?: string }> {
  const event = postJobsEvent(requestBody(step), {
    key: KEYS[step.key] ?? '',
    userArn: CALLERS[step.caller] ?? '',
  });
  const result = await handle(event, context);
  const jobId =
    result.statusCode === 202 ? (JSON.parse(result.body ?? '{}') as { jobId: string }).jobId : undefined;
  return { step, status: result.statusCode ?? 0, ...(jobId ? { jobId } : {}) };
}

/** Runs the steps in order, concurrent runs of steps together. */
async function run(steps: readonly Step[]) {
  const answers: Awaited<ReturnType<typeof send>>[] = [];
  let group: Step[] = [];
  const flush = async () => {
    answers.push(...(await Promise.all(group.map(send))));
    group = [];
  };
  for (const step of steps) {
    if (!step.concurrent) await flush();
    group.push(step);
  }
  await flush();
  return answers;
}

describe('Idempotency-Key (properties)', () => {
  it('never makes two jobs for one (owner, key) and never answers 5xx, under DynamoDB and Batch throttling', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 0, 0.1, 0.3),
        fc.integer(),
        async (steps, rate, seed) => {
          table.items.clear();
          jobs = [];
          throttleRate = rate;
          let state = seed;
          random = () => {
            state = (Math.imul(state, 1103515245) + 12345) | 0;
            return (state >>> 0) / 2 ** 32;
          };

          const answers = await run(steps);

          throttleRate = 0;
          expect(
            answers.map((answer) => answer.status).filter((status) => ![202, 409, 422, 429].includes(status)),
          ).toEqual([]);
          const scopes = new Set(answers.map(({ step }) => `${OWNERS[step.caller]} ${KEYS[step.key]}`));
          for (const scope of scopes) {
            const submitted = jobs
              .map((job, index) => ({
                job,
                jobId: numberedJobId(index + 1),
              }))
              .filter(
                ({ job }) =>
                  `${job.tags?.['batch-registry-gateway:owner']} ${job.containerOverrides?.environment?.find((e) => e.name === 'PROBE_KEY')?.value}` ===
                  scope,
              );
            const accepted = answers.filter(
              ({ step, status }) => status === 202 && `${OWNERS[step.caller]} ${KEYS[step.key]}` === scope,
            );
            expect(submitted.length).toBeLessThanOrEqual(1);
            expect(submitted.length === 1).toBe(accepted.length > 0);
            for (const answer of accepted) {
              expect(answer.jobId).toBe(submitted[0]?.jobId);
              // A 202 is only ever the answer for the body that made the job.
              expect(submitted[0]?.job.containerOverrides?.command).toEqual([
                'run',
                `variant-${answer.step.variant}`,
              ]);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  }, 240_000);
});
