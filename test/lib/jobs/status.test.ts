import { onQueue, toJobView } from '../../../lib/jobs/status';

describe('onQueue', () => {
  const arn = 'arn:aws:batch:us-east-1:123456789012:job-queue/private-registry-jobs';

  it.each([
    [arn, 'private-registry-jobs', true],
    [arn, arn, true],
    [arn, 'private-registry', false],
    [arn, 'arn:aws:batch:us-east-1:123456789012:job-queue/other', false],
    ['arn:aws:batch:us-east-1:123456789012:job-queue/other', 'private-registry-jobs', false],
    [undefined, 'private-registry-jobs', false],
  ])('compares the job queue %s with the configured %s', (jobQueue, configured, expected) => {
    expect(onQueue(jobQueue, configured)).toBe(expected);
  });
});

describe('toJobView', () => {
  it('turns epoch milliseconds into ISO 8601 and keeps a zero exit code', () => {
    const view = toJobView(
      {
        jobId: 'j',
        jobName: 'n',
        status: 'FAILED',
        createdAt: 0,
        startedAt: undefined,
        jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
        jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/d:1',
        stoppedAt: 86_400_000,
        container: { exitCode: 0 },
      },
      'docker.io/library/alpine:latest',
    );

    expect(view).toEqual({
      jobId: 'j',
      jobName: 'n',
      status: 'FAILED',
      image: 'docker.io/library/alpine:latest',
      createdAt: '1970-01-01T00:00:00.000Z',
      stoppedAt: '1970-01-02T00:00:00.000Z',
      exitCode: 0,
    });
  });
});
