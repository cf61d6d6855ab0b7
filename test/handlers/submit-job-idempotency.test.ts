import { SubmitJobCommand, type SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { dynamoMock, dynamoThrottled, FakeIdempotencyTable } from '../helpers/fake-idempotency-table';
import { batchTooManyRequests, lambdaContext, OWNER } from '../helpers/handler-harness';
import {
  acceptJob,
  IDEMPOTENCY_ENV,
  postJobsEvent as post,
  submitJobHarness,
} from '../helpers/submit-job-harness';

// `Idempotency-Key` on POST /jobs (SPEC §14), through the real handler, with
// DynamoDB as an in-memory table that evaluates the gateway's conditional writes.

const PASSWORD = 'pw-Recognisable-idem-5e1d';

const harness = submitJobHarness({
  env: IDEMPOTENCY_ENV,
  registries: [{ registry_url: 'https://registry.example.com', username: 'bot', password: PASSWORD }],
});
const { batchMock, secretsMock, manifestExists } = harness;
let table: FakeIdempotencyTable;
let jobs: SubmitJobCommandInput[];

beforeEach(() => {
  table = new FakeIdempotencyTable().install();
  jobs = [];
  batchMock.on(SubmitJobCommand).callsFake((input: SubmitJobCommandInput) => submitted(input));
});

function submitted(input: SubmitJobCommandInput) {
  return acceptJob(jobs, input);
}

const BODY = {
  image: 'registry.example.com/team/app:1.4.2',
  command: ['run'],
  environment: { A: '1', B: '2' },
};

async function invoke(
  event: HttpEvent,
  context: Context = lambdaContext(27_000),
): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  return harness.invoke(event, context);
}

describe('POST /jobs with Idempotency-Key', () => {
  it('submits once, then answers the stored 202 with idempotent-replayed: true and submits nothing', async () => {
    const first = await invoke(post(BODY, { key: 'order-42' }));

    const replay = await invoke(post(BODY, { key: 'order-42' }));

    expect(first.result.statusCode).toBe(202);
    expect(first.result.headers?.['idempotent-replayed']).toBeUndefined();
    expect(replay.result.statusCode).toBe(202);
    expect(replay.result.headers).toEqual({
      'content-type': 'application/json',
      'idempotent-replayed': 'true',
    });
    expect(replay.body).toEqual(first.body);
    expect(jobs).toHaveLength(1);
    expect(table.calls).toEqual(['PutItem', 'UpdateItem', 'PutItem']);
  });

  it('treats the same JSON value with other key order and spacing as the same body', async () => {
    await invoke(post(BODY, { key: 'k' }));
    const reordered = `{ "environment": {"B":"2", "A":"1"},\n "command": [ "run" ], "image": "${BODY.image}" }`;

    const replay = await invoke(post(reordered, { key: 'k' }));

    expect(replay.result.statusCode).toBe(202);
    expect(replay.result.headers?.['idempotent-replayed']).toBe('true');
    expect(jobs).toHaveLength(1);
  });

  it.each([
    ['another command', { ...BODY, command: ['other'] }],
    ['an array in another order', { ...BODY, command: ['b', 'a'] }],
    ['an extra field', { ...BODY, name: 'x' }],
    ['a number that differs', { ...BODY, vcpus: 2 }],
  ])('answers 422 for the same key with %s, and submits nothing', async (_case, other) => {
    await invoke(post({ ...BODY, command: ['a', 'b'] }, { key: 'k' }));

    const { result, body } = await invoke(post(other, { key: 'k' }));

    expect(result.statusCode).toBe(422);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(body.detail).toMatch(/different request body/);
    expect(jobs).toHaveLength(1);
  });

  it('answers 409 with Retry-After while the first request is in flight, then replays its answer', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    batchMock.on(SubmitJobCommand).callsFake(async (input: SubmitJobCommandInput) => {
      await held;
      return submitted(input);
    });
    const first = invoke(post(BODY, { key: 'k' }));
    while (!table.calls.includes('PutItem')) await new Promise((resolve) => setImmediate(resolve));

    const during = await invoke(post(BODY, { key: 'k' }));
    release();
    const done = await first;
    const after = await invoke(post(BODY, { key: 'k' }));

    expect(during.result.statusCode).toBe(409);
    expect(during.result.headers?.['retry-after']).toBe('1');
    expect(during.body.detail).toMatch(/still in progress/);
    expect(done.result.statusCode).toBe(202);
    expect(after.body).toEqual(done.body);
    expect(jobs).toHaveLength(1);
  });

  it.each([
    [
      'Batch throttles SubmitJob (429)',
      () => batchMock.on(SubmitJobCommand).rejectsOnce(batchTooManyRequests()).callsFake(submitted),
      429,
    ],
    ['the body fails the schema (400)', () => undefined, 400],
    ['the image does not exist (422)', () => manifestExists.mockResolvedValueOnce(false), 422],
  ])('stores nothing when %s: the same key then goes through', async (_case, arrange, status) => {
    arrange();
    const failing = status === 400 ? { ...BODY, memory: 1 } : BODY;

    const failed = await invoke(post(failing, { key: 'k' }));
    const stored = table.items.size;
    const retried = await invoke(post(BODY, { key: 'k' }));

    expect(failed.result.statusCode).toBe(status);
    expect(stored).toBe(0);
    expect(retried.result.statusCode).toBe(202);
    expect(retried.result.headers?.['idempotent-replayed']).toBeUndefined();
    expect(jobs).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['two headers joined by a comma', 'a, b'],
    ['256 characters', 'k'.repeat(256)],
    ['a non-ASCII character', 'clé'],
    ['a control character', 'a\tb'],
  ])('answers 400 for a key that is %s, before any AWS call', async (_case, key) => {
    const { result, body } = await invoke(post(BODY, { key }));

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([{ path: 'header:idempotency-key', message: expect.any(String) }]);
    expect(table.calls).toEqual([]);
    expect(batchMock.calls()).toHaveLength(0);
  });

  it('accepts a key of 255 printable characters, spaces included', async () => {
    const { result } = await invoke(post(BODY, { key: `${'~ '.repeat(127)}!` }));

    expect(result.statusCode).toBe(202);
  });

  it('scopes keys to the owner: another session of the role replays, another principal gets its own job', async () => {
    const first = await invoke(post(BODY, { key: 'k', userArn: `${OWNER}/session-a` }));

    const sameRole = await invoke(post(BODY, { key: 'k', userArn: `${OWNER}/session-b` }));
    const otherRole = await invoke(
      post(BODY, { key: 'k', userArn: 'arn:aws:sts::123456789012:assumed-role/other-team/session-a' }),
    );
    const user = await invoke(
      post({ ...BODY, command: ['x'] }, { key: 'k', userArn: 'arn:aws:iam::123456789012:user/ci' }),
    );

    expect(sameRole.body).toEqual(first.body);
    expect(sameRole.result.headers?.['idempotent-replayed']).toBe('true');
    expect(otherRole.result.statusCode).toBe(202);
    expect(otherRole.body.jobId).not.toBe(first.body.jobId);
    expect(user.result.statusCode).toBe(202);
    expect(jobs.map((job) => job.tags?.['batch-registry-gateway:owner'])).toEqual([
      OWNER,
      'arn:aws:sts::123456789012:assumed-role/other-team',
      'arn:aws:iam::123456789012:user/ci',
    ]);
  });

  it('keeps the warm path without the header at one AWS call (SubmitJob) and no DynamoDB call', async () => {
    await invoke(post(BODY));
    batchMock.resetHistory();
    secretsMock.resetHistory();

    const { result } = await invoke(post(BODY));

    expect(result.statusCode).toBe(202);
    expect(batchMock.calls()).toHaveLength(1);
    expect(batchMock).toHaveReceivedCommandTimes(SubmitJobCommand, 1);
    expect(secretsMock.calls()).toHaveLength(0);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it("writes the in-flight mark for the invocation's remaining time and keeps the key 24 hours", async () => {
    const before = Date.now();

    await invoke(post(BODY, { key: 'k' }), lambdaContext(5_000));

    const put = dynamoMock.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe('brg-idempotency');
    const inFlightUntil = Number(put?.Item?.in_progress_expiration?.N);
    expect(inFlightUntil).toBeGreaterThanOrEqual(before + 5_000);
    expect(inFlightUntil).toBeLessThanOrEqual(Date.now() + 5_000);
    const expires = Number(put?.Item?.expiration?.N);
    expect(Math.abs(expires - (before / 1000 + 86_400))).toBeLessThan(5);
    const record = [...table.items.values()][0];
    expect(record?.status?.S).toBe('COMPLETED');
    expect(JSON.stringify(record)).not.toContain('job-submitter');
    expect(JSON.stringify(record)).not.toContain(PASSWORD);
  });

  it('lets a timed-out in-flight mark expire: 409 until then, processed after', async () => {
    // A failure whose mark cannot be deleted leaves it behind, as a timed-out invocation does.
    batchMock.on(SubmitJobCommand).rejectsOnce(batchTooManyRequests()).callsFake(submitted);
    table.fault = (operation) => (operation === 'DeleteItem' ? dynamoThrottled() : undefined);

    const failed = await invoke(post(BODY, { key: 'k' }), lambdaContext(150));
    table.fault = () => undefined;
    const during = await invoke(post(BODY, { key: 'k' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await invoke(post(BODY, { key: 'k' }));

    expect(failed.result.statusCode).toBe(429);
    expect(during.result.statusCode).toBe(409);
    expect(after.result.statusCode).toBe(202);
    expect(after.result.headers?.['idempotent-replayed']).toBeUndefined();
    expect(jobs).toHaveLength(1);
  });

  it.each(['PutItem', 'GetItem'] as const)(
    'answers 429 with Retry-After when DynamoDB throttles %s, and submits nothing',
    async (operation) => {
      await invoke(post(BODY, { key: 'k' }));
      table.fault = (called) =>
        called === 'PutItem' || called === operation ? dynamoThrottled() : undefined;

      const { result } = await invoke(post(BODY, { key: 'k' }));

      expect(result.statusCode).toBe(429);
      expect(result.headers?.['retry-after']).toBe('2');
      expect(jobs).toHaveLength(1);
    },
  );

  it('answers the 202 of a submitted job whose record could not be completed, and never submits it twice', async () => {
    table.fault = (operation) => (operation === 'UpdateItem' ? dynamoThrottled() : undefined);

    const first = await invoke(post(BODY, { key: 'k' }));
    table.fault = () => undefined;
    const retried = await invoke(post(BODY, { key: 'k' }));

    expect(first.result.statusCode).toBe(202);
    expect(retried.result.statusCode).toBe(409);
    expect(jobs).toHaveLength(1);
  });

  it('answers 502 saying nothing internal when DynamoDB fails otherwise', async () => {
    table.fault = () =>
      new Error('ResourceNotFoundException: Requested resource not found: Table: brg-idempotency');

    const { result, body } = await invoke(post(BODY, { key: 'k' }));

    expect(result.statusCode).toBe(502);
    expect(body.detail).toBe('The gateway could not record the Idempotency-Key.');
    expect(jobs).toHaveLength(0);
  });
});
