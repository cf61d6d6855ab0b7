import { SubmitJobCommand, type SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { HttpResult } from '../../lib/http';
import {
  type DynamoOperation,
  dynamoThrottled,
  FakeIdempotencyTable,
} from '../helpers/fake-idempotency-table';
import { batchTooManyRequests, lambdaContext } from '../helpers/handler-harness';
import { acceptJob, IDEMPOTENCY_ENV, postJobsEvent, submitJobHarness } from '../helpers/submit-job-harness';

// A caller that retries POST /jobs with one Idempotency-Key (as the client package does, on 409 and
// 429) while DynamoDB or Batch throttles: it gets 429/409 with Retry-After until the throttle clears,
// then exactly one job, and every later retry replays the same 202.

const { batchMock, handle } = submitJobHarness({
  env: IDEMPOTENCY_ENV,
  registries: [{ registry_url: 'https://registry.example.com', username: 'bot', password: 'pw-faults' }],
});
let table: FakeIdempotencyTable;
let jobs: SubmitJobCommandInput[];
let throttledDynamo: Set<DynamoOperation>;
let batchThrottled: boolean;

beforeEach(() => {
  jobs = [];
  throttledDynamo = new Set();
  batchThrottled = false;
  table = new FakeIdempotencyTable().install();
  table.fault = (operation) => (throttledDynamo.has(operation) ? dynamoThrottled() : undefined);
  batchMock.on(SubmitJobCommand).callsFake((input: SubmitJobCommandInput) => {
    if (batchThrottled) throw batchTooManyRequests();
    return acceptJob(jobs, input);
  });
});

const BODY = JSON.stringify({ image: 'registry.example.com/team/app:1.4.2', command: ['run'] });

async function attempt(remainingMs = 27_000): Promise<HttpResult> {
  return handle(postJobsEvent(BODY, { key: 'retry-me' }), lambdaContext(remainingMs, 'faults'));
}

/** Retries like a client: `attempts` tries, `clearAfter` of them throttled; returns every answer. */
async function retryThrough(attempts: number, clearAfter: number, clear: () => void): Promise<HttpResult[]> {
  const answers: HttpResult[] = [];
  for (let i = 0; i < attempts; i += 1) {
    if (i === clearAfter) clear();
    answers.push(await attempt());
  }
  return answers;
}

function expectOneJobThenReplays(
  answers: HttpResult[],
  throttledTries: number,
  throttledStatus: number[],
): void {
  const statuses = answers.map((answer) => answer.statusCode);
  for (const status of statuses.slice(0, throttledTries)) expect(throttledStatus).toContain(status);
  for (const answer of answers.slice(0, throttledTries))
    expect(answer.headers?.['retry-after']).toMatch(/^\d+$/);
  expect(statuses.slice(throttledTries)).toEqual(Array(answers.length - throttledTries).fill(202));
  const bodies = new Set(answers.slice(throttledTries).map((answer) => answer.body));
  expect(bodies.size).toBe(1);
  expect(
    answers.slice(throttledTries + 1).every((answer) => answer.headers?.['idempotent-replayed'] === 'true'),
  ).toBe(true);
  expect(jobs).toHaveLength(1);
}

describe('Idempotency-Key retries under throttling', () => {
  it('DynamoDB throttles every write: 429 and nothing submitted until it clears, then one job and replays', async () => {
    throttledDynamo = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem']);

    const answers = await retryThrough(6, 3, () => throttledDynamo.clear());

    expectOneJobThenReplays(answers, 3, [429]);
  });

  it('Batch throttles SubmitJob: 429 each time (the in-flight mark is deleted, so no 409), then one job', async () => {
    batchThrottled = true;

    const answers = await retryThrough(6, 3, () => {
      batchThrottled = false;
    });

    expectOneJobThenReplays(answers, 3, [429]);
    expect(table.calls.filter((call) => call === 'DeleteItem')).toHaveLength(3);
  });

  it('Batch and DynamoDB throttle together: the mark left behind answers 409 until it expires, then one job', async () => {
    batchThrottled = true;
    throttledDynamo = new Set(['DeleteItem']);

    const first = await attempt(100);
    batchThrottled = false;
    throttledDynamo.clear();
    const blocked = await attempt();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const answers = [first, blocked, ...(await retryThrough(3, 0, () => undefined))];

    expectOneJobThenReplays(answers, 2, [409, 429]);
    expect(blocked.statusCode).toBe(409);
  });

  it('a replay while DynamoDB throttles reads is a 429, never a second job; after it the stored 202', async () => {
    const original = await attempt();
    throttledDynamo = new Set(['PutItem', 'GetItem']);

    const answers = await retryThrough(4, 2, () => throttledDynamo.clear());

    expect(original.statusCode).toBe(202);
    expect(answers.map((answer) => answer.statusCode)).toEqual([429, 429, 202, 202]);
    expect(answers[2]?.body).toBe(original.body);
    expect(answers[2]?.headers?.['idempotent-replayed']).toBe('true');
    expect(jobs).toHaveLength(1);
  });

  it('the completed record cannot be written: 202 for the job, 409 for a retry, never a second job', async () => {
    throttledDynamo = new Set(['UpdateItem']);

    const first = await attempt();
    throttledDynamo.clear();
    const retried = await attempt();

    expect(first.statusCode).toBe(202);
    expect(retried.statusCode).toBe(409);
    expect(retried.headers?.['retry-after']).toBe('1');
    expect(jobs).toHaveLength(1);
  });
});
