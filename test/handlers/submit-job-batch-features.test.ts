import { DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import type { HttpResult } from '../../lib/http';
import { OWNER, QUEUE, QUEUE_ARN } from '../helpers/handler-harness';
import { mockJobQueue } from '../helpers/job-queue';
import { postJobsEvent, submitJobHarness } from '../helpers/submit-job-harness';

const POLICY_ARN = 'arn:aws:batch:us-east-1:123456789012:scheduling-policy/teams';
const ARRAY_JOB = '3d7d2b9f-6a1c-4c8f-8b68-1f4d2e3a5b7c';
const IMAGE = 'public.ecr.aws/docker/library/busybox:1.36';

const { batchMock, invoke } = submitJobHarness({
  env: {
    ALLOWED_REGISTRIES: 'public.ecr.aws',
    VERIFY_IMAGES: 'false',
    STAGE: 'test',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-test-execution',
  },
  registries: [{ registry_url: 'registry.example.com', username: 'bot', password: 'pw-7f3a9c' }],
});

async function post(
  body: Record<string, unknown>,
): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  return invoke(postJobsEvent({ image: IMAGE, ...body }));
}

function submitted(): Record<string, unknown> {
  return batchMock.commandCalls(SubmitJobCommand)[0]?.args[0].input as unknown as Record<string, unknown>;
}

describe('POST /jobs with the Batch features of SPEC §15', () => {
  it('submits an array job with retry rules in one SubmitJob', async () => {
    mockJobQueue(batchMock, QUEUE);

    const { result } = await post({
      arraySize: 1000,
      dependsOn: [{ type: 'SEQUENTIAL' }],
      retryStrategy: {
        attempts: 3,
        evaluateOnExit: [
          { onStatusReason: 'Host EC2*', action: 'retry' },
          { onReason: '*', action: 'EXIT' },
        ],
      },
    });

    expect(result.statusCode).toBe(202);
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(1);
    expect(batchMock.commandCalls(DescribeJobsCommand)).toHaveLength(0);
    expect(submitted()).toMatchObject({
      arrayProperties: { size: 1000 },
      dependsOn: [{ type: 'SEQUENTIAL' }],
      retryStrategy: {
        attempts: 3,
        evaluateOnExit: [
          { onStatusReason: 'Host EC2*', action: 'RETRY' },
          { onReason: '*', action: 'EXIT' },
        ],
      },
    });
  });

  it('checks an N_TO_N dependency with one DescribeJobs and passes it on', async () => {
    mockJobQueue(batchMock, QUEUE);
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: ARRAY_JOB,
          jobName: 'upstream',
          jobQueue: QUEUE_ARN,
          status: 'RUNNING',
          startedAt: 1_700_000_000_000,
          jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-test-busybox:1',
          arrayProperties: { size: 10, statusSummary: { RUNNING: 10 } },
          tags: { 'batch-registry-gateway:owner': OWNER },
        },
      ],
    });

    const { result } = await post({ arraySize: 10, dependsOn: [{ jobId: ARRAY_JOB, type: 'N_TO_N' }] });

    expect(result.statusCode).toBe(202);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
    expect(submitted()).toMatchObject({ dependsOn: [{ jobId: ARRAY_JOB, type: 'N_TO_N' }] });
  });

  it('answers 400 naming the dependency when the named job belongs to another owner (SPEC §14)', async () => {
    mockJobQueue(batchMock, QUEUE);
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: ARRAY_JOB,
          jobName: 'theirs',
          jobQueue: QUEUE_ARN,
          status: 'RUNNING',
          startedAt: 1_700_000_000_000,
          jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-test-busybox:1',
          tags: { 'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/other-team' },
        },
      ],
    });

    const { result, body } = await post({ dependsOn: [{ jobId: ARRAY_JOB }] });

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([
      { path: 'dependsOn[0].jobId', message: expect.stringContaining('no job of yours') },
    ]);
    expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('answers 400 naming the dependency when the named job is not on the gateway’s queue', async () => {
    mockJobQueue(batchMock, QUEUE);
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [] });

    const { result, body } = await post({ dependsOn: [{ jobId: ARRAY_JOB }] });

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([
      { path: 'dependsOn[0].jobId', message: expect.stringContaining(ARRAY_JOB) },
    ]);
    expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('refuses fair-share fields on a FIFO queue before registering or submitting anything', async () => {
    mockJobQueue(batchMock, QUEUE);

    const { result, body } = await post({ shareIdentifier: 'teamA', schedulingPriority: 5 });

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([
      { path: 'shareIdentifier', message: expect.stringContaining('FIFO') },
      { path: 'schedulingPriority', message: expect.stringContaining('FIFO') },
    ]);
    expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
    expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('sends the share and priority on a fair-share queue, and requires a share there', async () => {
    mockJobQueue(batchMock, QUEUE, 'EC2', POLICY_ARN);

    const missing = await post({});
    const given = await post({ shareIdentifier: 'teamA', schedulingPriority: 9 });

    expect(missing.result.statusCode).toBe(400);
    expect(missing.body.errors).toEqual([
      { path: 'shareIdentifier', message: expect.stringContaining('fair-share') },
    ]);
    expect(given.result.statusCode).toBe(202);
    expect(submitted()).toMatchObject({ shareIdentifier: 'teamA', schedulingPriorityOverride: 9 });
  });

  it('makes ephemeral storage part of the Fargate job definition, under another name', async () => {
    mockJobQueue(batchMock, QUEUE, 'FARGATE');

    await post({});
    await post({ ephemeralStorageGiB: 100 });

    const registered = batchMock.commandCalls(RegisterJobDefinitionCommand).map((call) => call.args[0].input);
    expect(registered).toHaveLength(2);
    expect(registered[0]?.containerProperties?.ephemeralStorage).toBeUndefined();
    expect(registered[1]?.containerProperties?.ephemeralStorage).toEqual({ sizeInGiB: 100 });
    expect(registered[1]?.jobDefinitionName).not.toBe(registered[0]?.jobDefinitionName);
  });

  it('refuses ephemeral storage on an EC2 queue', async () => {
    mockJobQueue(batchMock, QUEUE);

    const { result, body } = await post({ ephemeralStorageGiB: 100 });

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([
      { path: 'ephemeralStorageGiB', message: expect.stringContaining('Fargate') },
    ]);
  });

  it('counts the whole request, dependencies and retry rules included, against the 30 KiB SubmitJob limit', async () => {
    mockJobQueue(batchMock, QUEUE);
    const reason = `${'A'.repeat(500)}*`;

    const { result } = await post({
      environment: { BIG: 'x'.repeat(28_000) },
      retryStrategy: {
        evaluateOnExit: Array.from({ length: 5 }, () => ({
          onStatusReason: reason,
          onReason: reason,
          action: 'EXIT',
        })),
      },
    });

    expect(result.statusCode).toBe(400);
    expect(result.body).toContain('30720 bytes');
    expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
  });
});
