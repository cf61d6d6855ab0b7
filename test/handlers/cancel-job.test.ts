import {
  BatchClient,
  ClientException,
  DescribeJobsCommand,
  type JobDetail,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';

type CancelJobModule = typeof import('../../handlers/cancel-job');

const QUEUE_ARN = 'arn:aws:batch:us-east-1:123456789012:job-queue/private-registry-jobs';
const JOB_ID = '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/job-submitter/pipeline-run-42';
const OWNER = 'arn:aws:sts::123456789012:assumed-role/job-submitter';
const ENV: Record<string, string> = {
  ADMIN_PRINCIPALS: 'arn:aws:iam::123456789012:role/ops/gateway-admin',
  AWS_REGION: 'us-east-1',
  REGISTRY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:brg/registries-AbCdEf',
  // configured by ARN here: the comparison is then ARN to ARN
  JOB_QUEUE: QUEUE_ARN,
};

const batchMock = mockClient(BatchClient);
const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;
let mod: CancelJobModule;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  restoreEnv = setEnv(ENV);
  mod = await import('../../handlers/cancel-job');
});

afterAll(() => {
  restoreEnv?.();
});

beforeEach(() => {
  batchMock.reset();
  batchMock.on(TerminateJobCommand).resolves({});
});

function job(
  status: JobDetail['status'],
  jobQueue = QUEUE_ARN,
  tags: Record<string, string> = { 'batch-registry-gateway:owner': OWNER },
): JobDetail {
  return {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
    jobName: 'app-1',
    jobId: JOB_ID,
    jobQueue,
    status,
    createdAt: 1741947302417,
    startedAt: undefined,
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-app-0a1b2c3d4e5f:1',
    container: { image: 'registry.example.com/team/app:1' },
    tags,
  };
}

async function invoke(userArn?: string): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  const event = loadFixture<HttpEvent>('http/delete-job.json');
  if (userArn !== undefined) event.requestContext.authorizer.iam.userArn = userArn;
  const result = await mod.handler(event, context);
  return { result, body: JSON.parse(result.body ?? '{}') as Record<string, unknown> };
}

describe('DELETE /jobs/{jobId} handler', () => {
  it.each(['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'] as const)(
    'terminates a %s job with a reason naming the caller and answers 202',
    async (status) => {
      batchMock.on(DescribeJobsCommand).resolves({ jobs: [job(status)] });

      const { result, body } = await invoke();

      expect(result.statusCode).toBe(202);
      expect(body).toEqual({ jobId: JOB_ID, status });
      expect(batchMock).toHaveReceivedCommandWith(TerminateJobCommand, {
        jobId: JOB_ID,
        reason: `Cancelled through batch-registry-gateway by ${CALLER}`,
      });
    },
  );

  it.each(['SUCCEEDED', 'FAILED'] as const)(
    'answers 409 for a %s job and terminates nothing',
    async (status) => {
      batchMock.on(DescribeJobsCommand).resolves({ jobs: [job(status)] });

      const { result, body } = await invoke();

      expect(result.statusCode).toBe(409);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      expect(body.detail).toContain(status);
      expect(batchMock).toHaveReceivedCommandTimes(TerminateJobCommand, 0);
    },
  );

  it('answers 404 for a job on another queue and terminates nothing', async () => {
    batchMock
      .on(DescribeJobsCommand)
      .resolves({ jobs: [job('RUNNING', 'arn:aws:batch:us-east-1:123456789012:job-queue/other')] });

    const { result } = await invoke();

    expect(result.statusCode).toBe(404);
    expect(batchMock).toHaveReceivedCommandTimes(TerminateJobCommand, 0);
  });

  it('answers 502 without the AWS message when TerminateJob fails', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job('RUNNING')] });
    batchMock
      .on(TerminateJobCommand)
      .rejects(new ClientException({ message: 'secret-internal-detail', $metadata: {} }));

    const { result } = await invoke();

    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain('secret-internal-detail');
  });

  it.each([
    [
      'another owner',
      'arn:aws:sts::123456789012:assumed-role/other-team/run-1',
      { 'batch-registry-gateway:owner': OWNER },
    ],
    [
      'the same role name in another account',
      'arn:aws:sts::210987654321:assumed-role/job-submitter/run',
      { 'batch-registry-gateway:owner': OWNER },
    ],
    ['an untagged job (admins only)', CALLER, {}],
  ])('answers 404 like an unknown job and terminates nothing for %s', async (_case, userArn, tags) => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job('RUNNING', QUEUE_ARN, tags)] });

    const { result, body } = await invoke(userArn);

    expect(result.statusCode).toBe(404);
    expect(body.detail).toBe(`No job ${JOB_ID} on the gateway's job queue.`);
    expect(batchMock).toHaveReceivedCommandTimes(TerminateJobCommand, 0);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
  });

  it.each([
    ['another owner', { 'batch-registry-gateway:owner': OWNER }],
    ['an untagged job', {}],
  ])('lets an ADMIN_PRINCIPALS role (configured with a path) cancel %s', async (_case, tags) => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job('RUNNING', QUEUE_ARN, tags)] });
    const admin = 'arn:aws:sts::123456789012:assumed-role/gateway-admin/alice';

    const { result } = await invoke(admin);

    expect(result.statusCode).toBe(202);
    expect(batchMock).toHaveReceivedCommandWith(TerminateJobCommand, {
      jobId: JOB_ID,
      reason: `Cancelled through batch-registry-gateway by ${admin}`,
    });
  });
});
