import {
  BatchServiceException,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  type JobDetail,
} from '@aws-sdk/client-batch';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { loadFixture } from '../helpers/fixtures';
import { batchTooManyRequests, JOB_ID, OWNER } from '../helpers/handler-harness';
import { DEFINITION_ARN, jobDetail, jobReadHarness } from '../helpers/job-read-harness';

const {
  batchMock,
  handlerModule,
  invoke: invokeHandler,
} = jobReadHarness(
  {
    ADMIN_PRINCIPALS: 'arn:aws:iam::123456789012:user/auditor, arn:aws:iam::123456789012:role/gateway-admin',
  },
  () => import('../../handlers/get-job'),
);

beforeEach(() => {
  handlerModule().tracker.clear();
});

/** A finished job of the fixtures' caller, as DescribeJobs returns it. */
function job(overrides: Partial<JobDetail> = {}): JobDetail {
  return jobDetail({
    status: 'SUCCEEDED',
    statusReason: 'Essential container in task exited',
    stoppedAt: 1741947422500,
    parameters: {},
    container: {
      image: 'registry.example.com/team/app:1',
      command: ['echo', 'hi'],
      exitCode: 0,
      logStreamName: `brg-registry-example-com-team-app-1-0a1b2c3d4e5f/default/${'0'.repeat(32)}`,
      resourceRequirements: [{ type: 'VCPU', value: '1' }],
    },
    tags: {
      'batch-registry-gateway:submitted-by': 'arn:aws:sts::123456789012:assumed-role/job-submitter/run',
      'batch-registry-gateway:owner': OWNER,
    },
    propagateTags: true,
    ...overrides,
  });
}

async function invoke(
  jobId?: string,
  userArn?: string,
): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  const event = loadFixture<HttpEvent>('http/get-job.json');
  if (jobId !== undefined) event.pathParameters = { jobId };
  if (userArn !== undefined) event.requestContext.authorizer.iam.userArn = userArn;
  return invokeHandler(event);
}

describe('GET /jobs/{jobId} handler', () => {
  it('answers 200 with the SPEC fields and ISO 8601 times for a job on the gateway queue', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });

    const { result, body } = await invoke();

    expect(result.statusCode).toBe(200);
    expect(body).toEqual({
      jobId: JOB_ID,
      jobName: 'app-1',
      status: 'SUCCEEDED',
      statusReason: 'Essential container in task exited',
      image: 'registry.example.com/team/app:1',
      createdAt: '2025-03-14T10:15:02.417Z',
      startedAt: '2025-03-14T10:16:02.000Z',
      stoppedAt: '2025-03-14T10:17:02.500Z',
      exitCode: 0,
      logStreamName: `brg-registry-example-com-team-app-1-0a1b2c3d4e5f/default/${'0'.repeat(32)}`,
    });
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobsCommand, { jobs: [JOB_ID] });
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 0);
  });

  it('leaves out what a queued job does not have yet', async () => {
    const queued = job({
      status: 'RUNNABLE',
      startedAt: undefined,
      stoppedAt: undefined,
      statusReason: undefined,
    });
    queued.container = { image: 'registry.example.com/team/app:1' };
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [queued] });

    const { body } = await invoke();

    expect(Object.keys(body).sort()).toEqual(['createdAt', 'image', 'jobId', 'jobName', 'status']);
  });

  it('takes the image from the job definition when the job details lack it, once per definition', async () => {
    const withoutImage = job();
    withoutImage.container = { exitCode: 1 };
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [withoutImage] });
    batchMock.on(DescribeJobDefinitionsCommand).resolves({
      jobDefinitions: [
        {
          jobDefinitionName: 'brg-registry-example-com-team-app-1-0a1b2c3d4e5f',
          jobDefinitionArn: DEFINITION_ARN,
          revision: 1,
          status: 'ACTIVE',
          type: 'container',
          containerProperties: { image: 'registry.example.com/team/app:1' },
        },
      ],
    });

    const first = await invoke();
    const second = await invoke();

    expect([first.body.image, second.body.image]).toEqual([
      'registry.example.com/team/app:1',
      'registry.example.com/team/app:1',
    ]);
    expect(first.body.exitCode).toBe(1);
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobDefinitionsCommand, {
      jobDefinitions: [DEFINITION_ARN],
    });
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 1);
  });

  it('answers 404 for a job on another queue', async () => {
    batchMock
      .on(DescribeJobsCommand)
      .resolves({ jobs: [job({ jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/other-queue' })] });

    const { result, body } = await invoke();

    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(body.detail).toContain(JOB_ID);
  });

  it('answers 404 for an unknown job', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [] });

    const { result } = await invoke();

    expect(result.statusCode).toBe(404);
  });

  it.each(['not-a-job', `${JOB_ID}:10000`, `${JOB_ID}x`, ''])(
    'answers 404 without asking AWS for the malformed job id "%s"',
    async (jobId) => {
      const { result, body } = await invoke(jobId);

      expect(result.statusCode).toBe(404);
      expect(body.detail).toMatch(/UUID/);
      expect(batchMock.calls()).toHaveLength(0);
    },
  );

  it('answers 429 with Retry-After when DescribeJobs is throttled', async () => {
    batchMock.on(DescribeJobsCommand).rejects(batchTooManyRequests());

    const { result } = await invoke();

    expect(result.statusCode).toBe(429);
    expect(result.headers?.['retry-after']).toBe('2');
  });

  it('answers 502 without the AWS message when DescribeJobs fails', async () => {
    batchMock.on(DescribeJobsCommand).rejects(
      new BatchServiceException({
        name: 'ServerException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'internal-detail-xyz',
      }),
    );

    const { result } = await invoke();

    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain('internal-detail-xyz');
  });

  it('answers the owner from another session of the same role', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });

    const { result } = await invoke(undefined, `${OWNER}/another-session`);

    expect(result.statusCode).toBe(200);
  });

  it.each([
    ['another role', 'arn:aws:sts::123456789012:assumed-role/other-team/run-1', job()],
    ['a user of the same account', 'arn:aws:iam::123456789012:user/job-submitter', job()],
    [
      'the same role in the China partition',
      'arn:aws-cn:sts::123456789012:assumed-role/job-submitter/s',
      job(),
    ],
    ['the owner, on a job without an owner tag', `${OWNER}/run`, job({ tags: {} })],
  ])(
    'answers 404 exactly as for an unknown job to %s, with one DescribeJobs call',
    async (_case, userArn, found) => {
      batchMock
        .on(DescribeJobsCommand)
        .resolvesOnce({ jobs: [] })
        .resolves({ jobs: [found] });
      const unknown = await invoke(undefined, userArn);

      const { result, body } = await invoke(undefined, userArn);

      expect(result.statusCode).toBe(404);
      expect(body).toEqual(JSON.parse(unknown.result.body ?? '{}'));
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 2);
    },
  );

  it.each([
    ['a user listed by ARN', 'arn:aws:iam::123456789012:user/auditor'],
    ['a session of a role listed by role ARN', 'arn:aws:sts::123456789012:assumed-role/gateway-admin/bob'],
  ])('answers 200 to an admin (%s) for another owner and for an untagged job', async (_case, admin) => {
    batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce({ jobs: [job()] })
      .resolvesOnce({ jobs: [job({ tags: {} })] });

    const owned = await invoke(undefined, admin);
    const untagged = await invoke(undefined, admin);

    expect([owned.result.statusCode, untagged.result.statusCode]).toEqual([200, 200]);
  });
});

describe('GET /jobs/{jobId} of array jobs (SPEC §15)', () => {
  // An array parent has no container run of its own; its children carry arrayProperties.index.
  const parent = () =>
    job({
      status: 'RUNNING',
      stoppedAt: undefined,
      container: { image: 'registry.example.com/team/app:1' },
      arrayProperties: { size: 3, statusSummary: { SUCCEEDED: 1, RUNNING: 1, RUNNABLE: 1 } },
    });
  const child = (tags: Record<string, string> | undefined) =>
    job({
      jobId: `${JOB_ID}:1`,
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}:1`,
      status: 'RUNNING',
      stoppedAt: undefined,
      arrayProperties: { index: 1 },
      tags,
    });

  it('adds array.size and array.statusSummary for the parent', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [parent()] });

    const { result, body } = await invoke(JOB_ID);

    expect(result.statusCode).toBe(200);
    expect(body.array).toEqual({ size: 3, statusSummary: { SUCCEEDED: 1, RUNNING: 1, RUNNABLE: 1 } });
  });

  it('reads a child <uuid>:<index> with the parent in the same single DescribeJobs call, owned as the parent', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [child(undefined), parent()] });

    const { result, body } = await invoke(`${JOB_ID}:1`);

    expect(result.statusCode).toBe(200);
    expect(body).toMatchObject({ jobId: `${JOB_ID}:1`, status: 'RUNNING' });
    expect(body.array).toBeUndefined();
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobsCommand, { jobs: [`${JOB_ID}:1`, JOB_ID] });
  });

  it('answers 404 for a child whose parent belongs to another owner, whatever the child is tagged', async () => {
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        child({ 'batch-registry-gateway:owner': OWNER }),
        job({ tags: { 'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/other' } }),
      ],
    });

    const { result } = await invoke(`${JOB_ID}:1`);

    expect(result.statusCode).toBe(404);
  });
});
