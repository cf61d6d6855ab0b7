import type { JobDetail } from '@aws-sdk/client-batch';
import { decodePageToken, encodePageToken, jobLogSource, shouldEndPaging } from '../../../lib/logs/stream';

const base: JobDetail = {
  jobName: 'app',
  jobId: '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b',
  jobQueue: 'q',
  status: 'RUNNING',
  startedAt: 1,
  jobDefinition: 'd',
};

describe('jobLogSource', () => {
  it.each<[string, JobDetail, ReturnType<typeof jobLogSource>]>([
    [
      'a running job',
      { ...base, container: { logStreamName: 'def/default/a' } },
      { kind: 'stream', logGroup: '/aws/batch/job', logStream: 'def/default/a' },
    ],
    [
      'a job whose definition names a group',
      {
        ...base,
        container: {
          logStreamName: 'def/default/a',
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/team/x' } },
        },
      },
      { kind: 'stream', logGroup: '/team/x', logStream: 'def/default/a' },
    ],
    [
      'a finished attempt only in attempts',
      {
        ...base,
        container: {},
        attempts: [{ container: { logStreamName: 'one' } }, { container: { logStreamName: 'two' } }],
      },
      { kind: 'stream', logGroup: '/aws/batch/job', logStream: 'two' },
    ],
    [
      'a job not started',
      { ...base, status: 'RUNNABLE', container: {} },
      { kind: 'none', reason: 'not-started' },
    ],
    [
      'an array parent',
      { ...base, arrayProperties: { size: 3 }, container: {} },
      { kind: 'none', reason: 'array-parent' },
    ],
    [
      'an array child',
      { ...base, arrayProperties: { index: 2 }, container: { logStreamName: 'child' } },
      { kind: 'stream', logGroup: '/aws/batch/job', logStream: 'child' },
    ],
    [
      'another log driver',
      { ...base, container: { logStreamName: 'x', logConfiguration: { logDriver: 'splunk' } } },
      { kind: 'none', reason: 'not-cloudwatch' },
    ],
  ])('finds the stream of %s', (_case, job, expected) => {
    expect(jobLogSource(job)).toEqual(expected);
  });
});

describe('page tokens', () => {
  it('round-trips a stream and a CloudWatch token through a URL-safe string', () => {
    const token = { logStream: 'def/default/a', forwardToken: 'f/3817263739182347/s' };

    const text = encodePageToken(token);

    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(text)).toEqual(token);
  });

  it.each([
    '%%%',
    Buffer.from('[1]').toString('base64url'),
    Buffer.from('{"s":1,"t":"x"}').toString('base64url'),
  ])('refuses %s with a 400', (text) => {
    expect(() => decodePageToken(text)).toThrow(expect.objectContaining({ statusCode: 400 }));
  });
});

describe('shouldEndPaging', () => {
  it.each<[boolean, string | undefined, string | undefined, boolean]>([
    [true, 'f/1', 'f/1', true],
    [true, 'f/1', 'f/2', false],
    [true, undefined, 'f/1', false],
    [false, 'f/1', 'f/1', false],
    [false, undefined, undefined, false],
  ])('finished=%s given=%s returned=%s → %s', (finished, given, returned, ends) => {
    expect(shouldEndPaging(finished, given, returned)).toBe(ends);
  });
});
