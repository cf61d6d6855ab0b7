import { BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { HttpError } from '../../../lib/errors';
import { checkDependencies, type MayRead } from '../../../lib/jobs/dependencies';

const batchMock = mockClient(BatchClient);
const batch = new BatchClient({ region: 'us-east-1' });
const QUEUE = 'brg-queue';
const QUEUE_ARN = `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`;
const MINE = '0a1b2c3d-1111-4222-8333-444455556666';
const ARRAY = '1a1b2c3d-1111-4222-8333-444455556666';
const THEIRS = '2a1b2c3d-1111-4222-8333-444455556666';
const OWNER_TAG = 'batch-registry-gateway:owner';

// JobDetail as DescribeJobs returns it (AWS Batch API reference, DescribeJobs response).
function job(jobId: string, owner: string, extra: Partial<JobDetail> = {}): JobDetail {
  return {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
    jobId,
    jobName: 'work',
    jobQueue: QUEUE_ARN,
    status: 'RUNNING',
    startedAt: 1_700_000_000_000,
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-dev-app:1',
    tags: { [OWNER_TAG]: owner },
    ...extra,
  };
}

const mayReadAs =
  (caller: string): MayRead =>
  (_job, owner) =>
    owner.tags?.[OWNER_TAG] === caller;

async function problems(promise: Promise<void>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return { status: error.statusCode, errors: error.errors };
    throw error;
  }
  return 'accepted';
}

beforeEach(() => {
  batchMock.reset();
});

describe('checkDependencies', () => {
  it('makes no AWS call when no dependency names a job', async () => {
    await checkDependencies(
      batch,
      QUEUE,
      { arraySize: 3, dependsOn: [{ type: 'SEQUENTIAL' }] },
      mayReadAs('me'),
    );

    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 0);
  });

  it('describes every id, children’s parents included, in one call and accepts the caller’s jobs', async () => {
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        job(MINE, 'me'),
        job(`${ARRAY}:4`, 'nobody-tags-children', { arrayProperties: { index: 4 }, tags: {} }),
        job(ARRAY, 'me', { arrayProperties: { size: 10, statusSummary: {} } }),
      ],
    });

    const result = await problems(
      checkDependencies(
        batch,
        QUEUE,
        { dependsOn: [{ jobId: MINE }, { jobId: `${ARRAY}:4` }] },
        mayReadAs('me'),
      ),
    );

    expect(result).toBe('accepted');
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobsCommand, { jobs: [MINE, `${ARRAY}:4`, ARRAY] });
  });

  it('refuses, naming each entry, a job of another owner, an unknown job and a job on another queue', async () => {
    const other = '3a1b2c3d-1111-4222-8333-444455556666';
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        job(THEIRS, 'them'),
        job(other, 'me', { jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/other' }),
      ],
    });

    const result = await problems(
      checkDependencies(
        batch,
        QUEUE,
        { dependsOn: [{ jobId: THEIRS }, { jobId: MINE }, { jobId: other }] },
        mayReadAs('me'),
      ),
    );

    expect(result).toEqual({
      status: 400,
      errors: [0, 1, 2].map((index) => ({
        path: `dependsOn[${index}].jobId`,
        message: expect.stringContaining('no job of yours'),
      })),
    });
  });

  it('refuses N_TO_N on an array job of another size, or on a job that is not an array job', async () => {
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [job(ARRAY, 'me', { arrayProperties: { size: 10, statusSummary: {} } }), job(MINE, 'me')],
    });

    const result = await problems(
      checkDependencies(
        batch,
        QUEUE,
        {
          arraySize: 5,
          dependsOn: [
            { jobId: ARRAY, type: 'N_TO_N' },
            { jobId: MINE, type: 'N_TO_N' },
          ],
        },
        mayReadAs('me'),
      ),
    );

    expect(result).toEqual({
      status: 400,
      errors: [
        { path: 'dependsOn[0].jobId', message: expect.stringContaining('same size (5)') },
        { path: 'dependsOn[1].jobId', message: expect.stringContaining('same size (5)') },
      ],
    });
  });

  it('answers 429 when Batch throttles the look-up', async () => {
    batchMock.on(DescribeJobsCommand).rejects(
      Object.assign(new Error('Too Many Requests'), {
        name: 'TooManyRequestsException',
        $metadata: { httpStatusCode: 429 },
      }),
    );

    const result = await problems(
      checkDependencies(batch, QUEUE, { dependsOn: [{ jobId: MINE }] }, mayReadAs('me')),
    );

    expect(result).toMatchObject({ status: 429 });
  });
});
