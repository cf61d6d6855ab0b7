import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { createIdempotencyTable } from '../../scripts/servers/idempotency-table';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';
import { basicAuth, pushImage, type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';

// SPEC §14 against moto (Batch, Secrets Manager and DynamoDB) and a real registry: the handlers,
// the conditional writes on DynamoDB and the owner tag as AWS would keep them.

type SubmitModule = typeof import('../../handlers/submit-job');
type GetModule = typeof import('../../handlers/get-job');
type CancelModule = typeof import('../../handlers/cancel-job');

const QUEUE = 'brg-it-safe';
const TABLE = 'brg-it-idempotency';
const ROLE = 'arn:aws:sts::123456789012:assumed-role/job-submitter';
const OTHER = 'arn:aws:sts::123456789012:assumed-role/other-team/run-7';
const ADMIN = 'arn:aws:sts::123456789012:assumed-role/gateway-admin/alice';
const user = { username: 'bot', password: 'It-Safe-Password-3c9d' };
const context = { awsRequestId: 'it-safe', getRemainingTimeInMillis: () => 27_000 } as Context;

let moto: RunningMoto;
let registry: RunningRegistry;
let batch: BatchClient;
let dynamodb: DynamoDBClient;
let submitJob: SubmitModule;
let getJob: GetModule;
let cancelJob: CancelModule;
let image: string;
const restoreEnv: Array<() => void> = [];

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry({ kind: 'htpasswd', users: [user] })]);
  await pushImage(registry.url, 'team/app', 'v1', basicAuth(user));
  image = `${registry.host}/team/app:v1`;
  restoreEnv.push(setEnv(moto.env));
  const client = { endpoint: moto.endpoint, region: moto.env.AWS_REGION ?? 'us-east-1' };
  batch = new BatchClient(client);
  dynamodb = new DynamoDBClient(client);
  await provisionBatchFleet(client, { name: QUEUE });
  await createIdempotencyTable(client, TABLE);
  const secret = await new SecretsManagerClient(client).send(
    new CreateSecretCommand({
      Name: 'brg-it-safe-registries',
      SecretString: JSON.stringify({ registries: [{ registry_url: registry.url, ...user }] }),
    }),
  );
  restoreEnv.push(
    setEnv({
      REGISTRY_SECRET_ARN: secret.ARN ?? '',
      JOB_QUEUE: QUEUE,
      // Per-task credentials (SPEC §11) are another suite's subject.
      TASK_CREDENTIALS: 'false',
      IDEMPOTENCY_TABLE: TABLE,
      ADMIN_PRINCIPALS: 'arn:aws:iam::123456789012:role/admins/gateway-admin',
    }),
  );
  submitJob = await import('../../handlers/submit-job');
  getJob = await import('../../handlers/get-job');
  cancelJob = await import('../../handlers/cancel-job');
}, 60_000);

afterAll(async () => {
  for (const restore of restoreEnv.reverse()) restore();
  batch?.destroy();
  dynamodb?.destroy();
  await Promise.all([moto?.stop(), registry?.stop()]);
});

function post(body: unknown, key?: string, userArn = `${ROLE}/run-1`): HttpEvent {
  const event = loadFixture<HttpEvent>('http/post-jobs.json');
  event.body = JSON.stringify(body);
  if (key !== undefined) event.headers['idempotency-key'] = key;
  event.requestContext.authorizer.iam.userArn = userArn;
  return event;
}

function onJob(fixture: string, jobId: string, userArn: string): HttpEvent {
  const event = loadFixture<HttpEvent>(fixture);
  event.pathParameters = { jobId };
  event.requestContext.authorizer.iam.userArn = userArn;
  return event;
}

const parse = (result: HttpResult) => JSON.parse(result.body ?? '{}') as Record<string, unknown>;

async function jobsNamed(name: string): Promise<string[]> {
  const listed = await batch.send(
    new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: [name] }] }),
  );
  return (listed.jobSummaryList ?? []).map((summary) => summary.jobId ?? '');
}

async function records(): Promise<Array<Record<string, { S?: string; N?: string }>>> {
  return ((await dynamodb.send(new ScanCommand({ TableName: TABLE }))).Items ?? []) as Array<
    Record<string, { S?: string; N?: string }>
  >;
}

describe('safe submission against moto', () => {
  it('submits one job per key, replays the stored 202, and keeps a completed record for 24 hours', async () => {
    const body = { image, name: 'idem-once', command: ['echo', 'once'] };

    const first = await submitJob.handler(post(body, 'it-once'), context);
    const again = await submitJob.handler(post(body, 'it-once', `${ROLE}/another-session`), context);

    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(parse(again)).toEqual(parse(first));
    expect(await jobsNamed('idem-once')).toEqual([parse(first).jobId]);
    const stored = (await records()).filter((record) => record.status?.S === 'COMPLETED');
    expect(stored).toHaveLength(1);
    const expiresIn = Number(stored[0]?.expiration?.N) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(86_400 - 60);
    // The expiry is kept in whole seconds, so it may round up by less than one.
    expect(expiresIn).toBeLessThan(86_400 + 1);
    expect(JSON.stringify(stored)).not.toContain(user.password);
  });

  it('answers 422 for the key with another body, and stores nothing for a failed request', async () => {
    await submitJob.handler(post({ image, name: 'idem-a' }, 'it-body'), context);
    const before = (await records()).length;

    const otherBody = await submitJob.handler(post({ image, name: 'idem-b' }, 'it-body'), context);
    const missing = await submitJob.handler(
      post({ image: `${registry.host}/team/app:nope` }, 'it-missing'),
      context,
    );
    const after = (await records()).length;
    const retried = await submitJob.handler(post({ image, name: 'idem-c' }, 'it-missing'), context);

    expect(otherBody.statusCode).toBe(422);
    expect(await jobsNamed('idem-b')).toEqual([]);
    expect(missing.statusCode).toBe(422);
    expect(after).toBe(before);
    expect(retried.statusCode).toBe(202);
    expect(await jobsNamed('idem-c')).toHaveLength(1);
  });

  it("tags the job with its owner and hides it from other owners, but not from an admin's role", async () => {
    const submitted = parse(
      await submitJob.handler(post({ image, name: 'owned', command: ['sleep', '60'] }), context),
    );
    const jobId = String(submitted.jobId);

    const described = (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
    const byOwner = await getJob.handler(onJob('http/get-job.json', jobId, `${ROLE}/other-session`), context);
    const byOther = await getJob.handler(onJob('http/get-job.json', jobId, OTHER), context);
    const cancelByOther = await cancelJob.handler(onJob('http/delete-job.json', jobId, OTHER), context);
    const byAdmin = await getJob.handler(onJob('http/get-job.json', jobId, ADMIN), context);

    expect(described?.tags?.['batch-registry-gateway:owner']).toBe(ROLE);
    expect(byOwner.statusCode).toBe(200);
    expect(byOther.statusCode).toBe(404);
    expect(cancelByOther.statusCode).toBe(404);
    expect(byAdmin.statusCode).toBe(200);
  });
});
