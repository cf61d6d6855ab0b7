import {
  BatchClient,
  CreateJobQueueCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  type JobDetail,
  ListJobsCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';
import { basicAuth, pushImage, type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import { checkedAgainstApi } from '../helpers/api-contract';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';

type SubmitModule = typeof import('../../handlers/submit-job');
type GetModule = typeof import('../../handlers/get-job');
type CancelModule = typeof import('../../handlers/cancel-job');
type LogsModule = typeof import('../../handlers/get-job-logs');
type AwsClients = typeof import('../../lib/aws-clients');

const QUEUE = 'brg-it';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/job-submitter/pipeline-run-42';
const good = { username: 'bot', password: 'It-Good-Password-4d1e' };
const other = { username: 'bot', password: 'It-Real-Password-9c2b' };
const wrongStored = { username: 'bot', password: 'It-Wrong-Password-77aa' };
const context = { awsRequestId: 'it-request' } as Context;

let moto: RunningMoto;
let registry: RunningRegistry;
let rejecting: RunningRegistry;
let batch: BatchClient;
let submitJob: SubmitModule;
let getJob: GetModule;
let cancelJob: CancelModule;
let getJobLogs: LogsModule;
let clients: AwsClients;
/** One restore per `setEnv` in beforeAll; run last first, so every variable ends as it was before. */
const restoreEnv: Array<() => void> = [];

beforeAll(async () => {
  // The moto process inherits this: jobs end (FAILED) 2 s into SubmitJob instead of at once.
  restoreEnv.push(setEnv({ MOTO_SIMPLE_BATCH_FAIL_AFTER: '2' }));
  [moto, registry, rejecting] = await Promise.all([
    startMoto(),
    startRegistry({ kind: 'htpasswd', users: [good] }),
    startRegistry({ kind: 'htpasswd', users: [other] }),
  ]);
  await pushImage(registry.url, 'team/app', 'v1', basicAuth(good));
  await pushImage(rejecting.url, 'team/app', 'v1', basicAuth(other));
  restoreEnv.push(setEnv(moto.env));
  const region = moto.env.AWS_REGION ?? 'us-east-1';
  batch = new BatchClient({ endpoint: moto.endpoint, region });
  await provisionBatchFleet({ endpoint: moto.endpoint, region }, { name: QUEUE });
  const secret = await new SecretsManagerClient({ endpoint: moto.endpoint, region }).send(
    new CreateSecretCommand({
      Name: 'brg-it-registries',
      SecretString: JSON.stringify({
        registries: [
          { registry_url: registry.url, ...good },
          { registry_url: rejecting.url, ...wrongStored },
        ],
      }),
    }),
  );
  restoreEnv.push(
    setEnv({
      REGISTRY_SECRET_ARN: secret.ARN ?? '',
      JOB_QUEUE: QUEUE,
      VERIFY_IMAGES: 'true',
      SECRET_CACHE_SECONDS: '60',
      IMAGE_CACHE_SECONDS: '30',
      // No credential secret exists here: EC2 jobs use the instance credentials (task-credentials.test.ts covers them).
      EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-it-execution',
    }),
  );
  clients = await import('../../lib/aws-clients');
  // Every response the handlers give here is checked against openapi.json.
  submitJob = withApiCheck(await import('../../handlers/submit-job'));
  getJob = withApiCheck(await import('../../handlers/get-job'));
  cancelJob = withApiCheck(await import('../../handlers/cancel-job'));
  getJobLogs = withApiCheck(await import('../../handlers/get-job-logs'));
}, 60000);

afterAll(async () => {
  for (const restore of restoreEnv.reverse()) restore();
  await Promise.all([moto?.stop(), registry?.stop(), rejecting?.stop()]);
});

function withApiCheck<M extends { handler: (event: HttpEvent, context: Context) => Promise<HttpResult> }>(
  module: M,
): M {
  return { ...module, handler: checkedAgainstApi(module.handler) };
}

function postJobs(body: unknown): HttpEvent {
  const event = loadFixture<HttpEvent>('http/post-jobs.json');
  event.body = JSON.stringify(body);
  return event;
}

function withJobId(fixture: string, jobId: string): HttpEvent {
  const event = loadFixture<HttpEvent>(fixture);
  event.pathParameters = { jobId };
  event.rawPath = `/jobs/${jobId}`;
  return event;
}

async function motoTransition(
  action: 'set-transition' | 'unset-transition',
  transition?: Record<string, unknown>,
): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/state-manager/${action}`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'batch::job', ...(transition ? { transition } : {}) }),
  });
  if (!response.ok) throw new Error(`moto ${action} answered ${response.status}`);
}

async function waitForJobNamed(jobName: string): Promise<string> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const listed = await batch.send(
      new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: [jobName] }] }),
    );
    const jobId = listed.jobSummaryList?.[0]?.jobId;
    if (jobId) return jobId;
    if (Date.now() > deadline) throw new Error(`no job named ${jobName} on ${QUEUE}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntilFinished(jobId: string): Promise<JobDetail> {
  const deadline = Date.now() + 20000;
  for (;;) {
    const job = (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
    if (job?.status === 'SUCCEEDED' || job?.status === 'FAILED') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${job?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function parse(result: HttpResult): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}

/** Counts the AWS commands the handlers' own SDK clients send, and the registry HTTP requests. */
function countCalls(): { aws: string[]; registryRequests: () => number; stop: () => void } {
  const aws: string[] = [];
  const counter = (name: string) => ({
    name,
    middleware:
      (next: (args: unknown) => Promise<unknown>, ctx: { commandName?: string }) => async (args: unknown) => {
        aws.push(ctx.commandName ?? 'unknown');
        return next(args);
      },
  });
  const batchCounter = counter('brg-it-count-batch');
  const secretsCounter = counter('brg-it-count-secrets');
  clients.batch.middlewareStack.add(batchCounter.middleware as never, {
    step: 'initialize',
    name: batchCounter.name,
  });
  clients.secretsManager.middlewareStack.add(secretsCounter.middleware as never, {
    step: 'initialize',
    name: secretsCounter.name,
  });
  const fetchSpy = jest.spyOn(globalThis, 'fetch');
  return {
    aws,
    registryRequests: () =>
      fetchSpy.mock.calls.filter(([url]) =>
        String(url instanceof Request ? url.url : url).startsWith(registry.url),
      ).length,
    stop: () => {
      clients.batch.middlewareStack.remove(batchCounter.name);
      clients.secretsManager.middlewareStack.remove(secretsCounter.name);
      fetchSpy.mockRestore();
    },
  };
}

describe('job gateway against moto and a real registry', () => {
  it('submits an existing image: 202, and the job is on the queue with the definition and overrides', async () => {
    const image = `${registry.host}/team/app:v1`;

    const result = await submitJob.handler(
      postJobs({
        image,
        command: ['echo', 'hello'],
        environment: { GREETING: 'hi' },
        vcpus: 2,
        memory: 1024,
        timeoutSeconds: 600,
        retryAttempts: 3,
        tags: { team: 'data' },
      }),
      context,
    );

    expect(result.statusCode).toBe(202);
    const body = parse(result);
    expect(body).toMatchObject({ jobQueue: QUEUE, image, jobName: 'app-v1' });
    const jobId = String(body.jobId);
    const listed = await batch.send(
      new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['app-v1'] }] }),
    );
    expect(listed.jobSummaryList?.map((summary) => summary.jobId)).toContain(jobId);
    const described = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
    const job = described.jobs?.[0];
    expect(job?.jobQueue).toMatch(new RegExp(`job-queue/${QUEUE}$`));
    expect(job?.jobDefinition).toBe(body.jobDefinition);
    expect(job?.tags).toEqual({
      team: 'data',
      'batch-registry-gateway:submitted-by': CALLER,
      'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/job-submitter',
    });
    expect(job?.timeout).toEqual({ attemptDurationSeconds: 600 });
    // moto keeps neither retryStrategy nor resourceRequirements overrides on the job; the handler
    // tests check that SubmitJob carries them.
    expect(job?.container?.command).toEqual(['echo', 'hello']);
    expect(job?.container?.environment).toEqual(expect.arrayContaining([{ name: 'GREETING', value: 'hi' }]));
    const definitions = await batch.send(
      new DescribeJobDefinitionsCommand({ jobDefinitions: [String(body.jobDefinition)] }),
    );
    const definition = definitions.jobDefinitions?.[0];
    expect(definition?.containerProperties?.image).toBe(image);
    expect(definition?.jobDefinitionName).toMatch(/^brg-dev-127-0-0-1-\d+-team-app-v1-[0-9a-f]{12}$/);
    expect(JSON.stringify(definition)).not.toContain(good.password);
  });

  it('submits an array job and an N_TO_N dependent of the same size, as Batch keeps them (SPEC §15)', async () => {
    const image = `${registry.host}/team/app:v1`;

    const parent = await submitJob.handler(postJobs({ image, name: 'fan-out', arraySize: 3 }), context);
    const parentId = String(parse(parent).jobId);
    const dependent = await submitJob.handler(
      postJobs({ image, name: 'fan-in', arraySize: 3, dependsOn: [{ jobId: parentId, type: 'N_TO_N' }] }),
      context,
    );
    const wrongSize = await submitJob.handler(
      postJobs({ image, name: 'mismatch', arraySize: 4, dependsOn: [{ jobId: parentId, type: 'N_TO_N' }] }),
      context,
    );

    expect(parent.statusCode).toBe(202);
    expect(dependent.statusCode).toBe(202);
    const described = await batch.send(
      new DescribeJobsCommand({ jobs: [parentId, String(parse(dependent).jobId)] }),
    );
    const [first, second] = [parentId, String(parse(dependent).jobId)].map((id) =>
      described.jobs?.find((job) => job.jobId === id),
    );
    expect(first?.arrayProperties?.size).toBe(3);
    expect(second?.dependsOn).toEqual([{ jobId: parentId, type: 'N_TO_N' }]);
    expect(wrongSize.statusCode).toBe(400);
    expect(parse(wrongSize).errors).toEqual([
      { path: 'dependsOn[0].jobId', message: expect.stringContaining('same size (4)') },
    ]);
  });

  it('makes one AWS call and no more than one registry request on the warm path', async () => {
    const image = `${registry.host}/team/app:v1`;
    const first = await submitJob.handler(postJobs({ image, name: 'warm-0' }), context);
    const counted = countCalls();
    try {
      const warm = await submitJob.handler(postJobs({ image, name: 'warm-1' }), context);

      expect([first.statusCode, warm.statusCode]).toEqual([202, 202]);
      expect(counted.aws).toEqual(['SubmitJobCommand']);
      // the positive manifest check is cached for IMAGE_CACHE_SECONDS: no registry request at all
      expect(counted.registryRequests()).toBe(0);
    } finally {
      counted.stop();
    }
  });

  it('measures a cold submission of a new image: secret cached, definition looked up and registered', async () => {
    const image = `${registry.host}/team/app:v1`;
    await pushImage(registry.url, 'team/app', 'v2', basicAuth(good));
    submitJob.submitter.clearCaches();
    const counted = countCalls();
    try {
      const cold = await submitJob.handler(postJobs({ image: image.replace(':v1', ':v2') }), context);
      const coldCalls = [...counted.aws];
      const coldRequests = counted.registryRequests();

      expect(cold.statusCode).toBe(202);
      // A new container learns its queue's platform once (SPEC §11), then looks the registry's
      // credential secret up (none here: instance credentials).
      expect(coldCalls).toEqual([
        'DescribeJobQueuesCommand',
        'DescribeComputeEnvironmentsCommand',
        'GetSecretValueCommand',
        'DescribeSecretCommand',
        'DescribeJobDefinitionsCommand',
        'RegisterJobDefinitionCommand',
        'SubmitJobCommand',
      ]);
      // one HEAD, or two when the registry client must first learn the auth scheme (401 challenge)
      expect(coldRequests).toBeGreaterThanOrEqual(1);
      expect(coldRequests).toBeLessThanOrEqual(2);
    } finally {
      counted.stop();
    }
  });

  it('answers 422 for a tag that does not exist', async () => {
    const result = await submitJob.handler(postJobs({ image: `${registry.host}/team/app:missing` }), context);

    expect(result.statusCode).toBe(422);
    expect(parse(result).detail).toContain(`${registry.host}/team/app:missing`);
  });

  it('answers 403 for a registry that is not allowed', async () => {
    const result = await submitJob.handler(postJobs({ image: 'quay.io/team/app:v1' }), context);

    expect(result.statusCode).toBe(403);
    expect(parse(result).detail).toContain('quay.io');
  });

  it('answers 502 naming the registry when it rejects the stored credentials, never quoting them', async () => {
    const result = await submitJob.handler(postJobs({ image: `${rejecting.host}/team/app:v1` }), context);

    expect(result.statusCode).toBe(502);
    expect(parse(result).detail).toContain(rejecting.host);
    expect(result.body).not.toContain(wrongStored.password);
  });

  it('reads a submitted job back and cancels it', async () => {
    const image = `${registry.host}/team/app:v1`;
    // moto's Batch without Docker finishes a job inside SubmitJob, after MOTO_SIMPLE_BATCH_FAIL_AFTER
    // seconds; with manual status progression the job stays SUBMITTED meanwhile, so it can be
    // read and cancelled while the submission is still in flight.
    await motoTransition('set-transition', { progression: 'manual', times: 1000 });
    const submission = submitJob.handler(postJobs({ image, name: 'round-trip' }), context);
    const jobId = await waitForJobNamed('round-trip');

    const read = await getJob.handler(withJobId('http/get-job.json', jobId), context);
    const logsBeforeStart = await getJobLogs.handler(withJobId('http/get-job-logs.json', jobId), context);
    const cancelled = await cancelJob.handler(withJobId('http/delete-job.json', jobId), context);
    const submitted = await submission;
    await motoTransition('unset-transition');
    const stopped = await waitUntilFinished(jobId);
    const cancelledAgain = await cancelJob.handler(withJobId('http/delete-job.json', jobId), context);
    const logsAfterStop = await getJobLogs.handler(withJobId('http/get-job-logs.json', jobId), context);
    const missing = await getJob.handler(
      withJobId('http/get-job.json', '00000000-0000-4000-8000-000000000000'),
      context,
    );

    expect(submitted.statusCode).toBe(202);
    expect(read.statusCode).toBe(200);
    expect(parse(read)).toMatchObject({ jobId, jobName: 'round-trip', image, status: 'SUBMITTED' });
    expect(String(parse(read).createdAt)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // not started yet: no stream, no events, and a token to come back with
    expect(logsBeforeStart.statusCode).toBe(200);
    expect(parse(logsBeforeStart)).toEqual({ events: [], nextToken: expect.any(String) });
    expect(cancelled.statusCode).toBe(202);
    expect(parse(cancelled)).toEqual({ jobId, status: 'SUBMITTED' });
    expect(stopped.statusReason).toBe(`Cancelled through batch-registry-gateway by ${CALLER}`);
    expect(cancelledAgain.statusCode).toBe(409);
    // finished, and moto gives jobs no log stream (no Docker): nothing more will come
    expect(parse(logsAfterStop)).toEqual({ events: [] });
    expect(missing.statusCode).toBe(404);
  });

  it('does not show a job from another queue', async () => {
    const image = `${registry.host}/team/app:v1`;
    const submitted = parse(await submitJob.handler(postJobs({ image }), context));
    await batch.send(
      new CreateJobQueueCommand({
        jobQueueName: 'brg-it-other',
        priority: 1,
        state: 'ENABLED',
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'brg-it' }],
      }),
    );
    const foreign = await batch.send(
      new SubmitJobCommand({
        jobName: 'foreign',
        jobQueue: 'brg-it-other',
        jobDefinition: String(submitted.jobDefinition),
      }),
    );

    const read = await getJob.handler(withJobId('http/get-job.json', foreign.jobId ?? ''), context);
    const cancelled = await cancelJob.handler(
      withJobId('http/delete-job.json', foreign.jobId ?? ''),
      context,
    );
    const logs = await getJobLogs.handler(withJobId('http/get-job-logs.json', foreign.jobId ?? ''), context);

    expect([read.statusCode, cancelled.statusCode, logs.statusCode]).toEqual([404, 404, 404]);
  });
});
