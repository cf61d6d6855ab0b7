import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createGatewayClient, GatewayError } from '../../client/src';
import { type Scripted, type StandIn, startStandIn } from './stand-in';

const credentials = {
  accessKeyId: 'ASIAEXAMPLECLIENTKEY',
  secretAccessKey: 'client-test-secret-access-key-0000000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLECLIENTSESSION',
};
const JOB_ID = '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b';
const submitted = {
  jobId: JOB_ID,
  jobName: 'app-1',
  jobQueue: 'arn:aws:batch:eu-west-1:111122223333:job-queue/brg',
  jobDefinition: 'arn:aws:batch:eu-west-1:111122223333:job-definition/brg-app-1:1',
  image: 'ghcr.io/acme/app:1',
};
const job = (status: string) => ({ jobId: JOB_ID, jobName: 'app-1', status, image: 'ghcr.io/acme/app:1' });
const problem = (status: number, title: string, detail: string, extra: object = {}) => ({
  type: 'about:blank',
  title,
  status,
  detail,
  ...extra,
});

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.stop();
  standIn = undefined;
});

async function clientFor(script: readonly Scripted[] | Parameters<typeof startStandIn>[0], path = '') {
  standIn = await startStandIn(script);
  return createGatewayClient({
    endpoint: `${standIn.url}${path}`,
    region: 'eu-west-1',
    credentials,
    retry: { baseDelayMs: 5, maxDelayMs: 2000, maxAttempts: 3 },
  });
}

describe('gateway client', () => {
  it('signs with SigV4 exactly as the SDK signer does for execute-api, session token included', async () => {
    const client = await clientFor([{ status: 202, body: submitted }]);

    await client.submitJob({ image: 'ghcr.io/acme/app:1' }, { idempotencyKey: 'order-42' });

    const request = standIn?.received[0];
    const url = new URL(standIn?.url ?? '');
    const date = String(request?.headers['x-amz-date']);
    const signingDate = new Date(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const expected = await new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials,
      sha256: Sha256,
    }).sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/jobs',
        query: {},
        headers: {
          host: url.host,
          accept: 'application/json, application/problem+json',
          'content-type': 'application/json',
          'idempotency-key': 'order-42',
        },
        body: JSON.stringify({ image: 'ghcr.io/acme/app:1' }),
      },
      { signingDate },
    );
    expect(request?.headers.authorization).toBe(expected.headers.authorization);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLECLIENTKEY\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;idempotency-key;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe(credentials.sessionToken);
  });

  it('retries a 429 after its Retry-After with the same Idempotency-Key, and says when an answer was replayed', async () => {
    const client = await clientFor([
      { status: 429, headers: { 'retry-after': '1' }, body: problem(429, 'Too Many Requests', 'retry') },
      { status: 202, headers: { 'idempotent-replayed': 'true' }, body: submitted },
    ]);
    const started = Date.now();

    const result = await client.submitJob({ image: 'ghcr.io/acme/app:1' });

    const keys = standIn?.received.map((request) => request.headers['idempotency-key']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(keys).toHaveLength(2);
    expect(keys?.[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys?.[1]).toBe(keys?.[0]);
    expect(result).toEqual({ ...submitted, idempotencyKey: keys?.[0], replayed: true });
  });

  it('gives up after maxAttempts of 502/503 with one GatewayError holding the problem fields', async () => {
    const client = await clientFor([
      { status: 502, body: problem(502, 'Bad Gateway', 'AWS Batch failed to describe the job.') },
      {
        status: 503,
        headers: { 'retry-after': '0' },
        body: problem(503, 'Service Unavailable', 'credential secret not rolled out yet'),
      },
    ]);

    const failure = await client.getJob(JOB_ID).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({
      status: 503,
      title: 'Service Unavailable',
      detail: 'credential secret not rolled out yet',
      retryAfterSeconds: 0,
      attempts: 3,
      requestId: 'req-3',
    });
    expect(standIn?.received).toHaveLength(3);
  });

  it('retries a 409 that carries Retry-After (its own earlier attempt still in flight), never a plain 409', async () => {
    const client = await clientFor([
      { status: 409, headers: { 'retry-after': '0' }, body: problem(409, 'Conflict', 'in flight') },
      { status: 202, headers: { 'idempotent-replayed': 'true' }, body: submitted },
      { status: 409, body: problem(409, 'Conflict', 'The job has already finished with status SUCCEEDED.') },
    ]);

    const result = await client.submitJob({ image: 'ghcr.io/acme/app:1' });
    const cancelled = await client.cancelJob(JOB_ID).catch((error: unknown) => error);

    expect(result.replayed).toBe(true);
    expect(cancelled).toMatchObject({ status: 409, attempts: 1 });
    expect(standIn?.received).toHaveLength(3);
  });

  it('does not retry a 4xx and carries each failing field', async () => {
    const errors = [{ path: 'memory', message: 'must be at least 4 (MiB)' }];
    const client = await clientFor([
      { status: 400, body: problem(400, 'Bad Request', 'The request body is invalid.', { errors }) },
    ]);

    const failure = await client.submitJob({ image: 'alpine', memory: 1 }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'GatewayError', status: 400, errors, attempts: 1 });
    expect(standIn?.received).toHaveLength(1);
  });

  it("reads API Gateway's own refusal ({message}) into the same error", async () => {
    const client = await clientFor([{ status: 403, body: { message: 'Forbidden' } }]);

    const failure = await client.listRegistries().catch((error: unknown) => error);

    expect(failure).toMatchObject({ status: 403, title: 'Forbidden', detail: 'Forbidden' });
  });

  it('retries a dropped connection, then answers', async () => {
    const client = await clientFor(['drop', { status: 200, body: { registries: ['ghcr.io'] } }]);

    expect(await client.listRegistries()).toEqual({ registries: ['ghcr.io'] });
    expect(standIn?.received).toHaveLength(2);
  });

  it('keeps the endpoint path (a stage) and encodes the job id', async () => {
    const client = await clientFor(
      [{ status: 202, body: { jobId: `${JOB_ID}:3`, status: 'RUNNING' } }],
      '/prod/',
    );

    await client.cancelJob(`${JOB_ID}:3`);

    expect(standIn?.received[0]).toMatchObject({ method: 'DELETE', url: `/prod/jobs/${JOB_ID}%3A3` });
  });

  it('iterates log pages with the token of the page before, until the job has finished', async () => {
    const client = await clientFor([
      {
        status: 200,
        body: { events: [{ timestamp: '2026-12-01T12:00:00.000Z', message: 'a' }], nextToken: 't1' },
      },
      {
        status: 200,
        body: { events: [{ timestamp: '2026-12-01T12:00:01.000Z', message: 'b' }], nextToken: 't2' },
      },
      { status: 200, body: { events: [] } },
    ]);

    const messages: string[] = [];
    for await (const page of client.getJobLogs(JOB_ID, { limit: 1 })) {
      messages.push(...page.events.map((event) => event.message));
    }

    expect(messages).toEqual(['a', 'b']);
    expect(standIn?.received.map((request) => request.url)).toEqual([
      `/jobs/${JOB_ID}/logs?limit=1`,
      `/jobs/${JOB_ID}/logs?limit=1&nextToken=t1`,
      `/jobs/${JOB_ID}/logs?limit=1&nextToken=t2`,
    ]);
  });

  it('stops at the first empty page of a running job unless asked to follow it', async () => {
    const pages: Scripted[] = [
      { status: 200, body: { events: [], nextToken: 't0' } },
      {
        status: 200,
        body: { events: [{ timestamp: '2026-12-01T12:00:00.000Z', message: 'late' }], nextToken: 't1' },
      },
      { status: 200, body: { events: [] } },
    ];
    const client = await clientFor(pages);

    const once = [];
    for await (const page of client.getJobLogs(JOB_ID)) once.push(page);
    const followed = [];
    for await (const page of client.getJobLogs(JOB_ID, { follow: true, pollIntervalMs: 10 }))
      followed.push(page);

    expect(once).toHaveLength(1);
    expect(followed.flatMap((page) => page.events.map((event) => event.message))).toEqual(['late']);
  });

  it('waits for a job with back-off until it has finished', async () => {
    const statuses = ['SUBMITTED', 'RUNNABLE', 'RUNNING', 'SUCCEEDED'];
    const client = await clientFor(statuses.map((status) => ({ status: 200, body: job(status) })));

    const finished = await client.waitForJob(JOB_ID, { initialDelayMs: 10, maxDelayMs: 40 });

    expect(finished.status).toBe('SUCCEEDED');
    expect(standIn?.received).toHaveLength(4);
  });

  it('stops waiting when the signal aborts', async () => {
    const client = await clientFor([{ status: 200, body: job('RUNNING') }]);
    const controller = new AbortController();

    const waiting = client.waitForJob(JOB_ID, { initialDelayMs: 50, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deploy cancelled')), 120);

    await expect(waiting).rejects.toThrow('deploy cancelled');
    expect(standIn?.received.length).toBeGreaterThanOrEqual(1);
  });
});
