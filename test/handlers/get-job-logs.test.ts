import { DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { loadFixture } from '../helpers/fixtures';
import { batchTooManyRequests, JOB_ID } from '../helpers/handler-harness';
import { jobDetail, jobReadHarness } from '../helpers/job-read-harness';

const STREAM = 'brg-registry-example-com-team-app-1-0a1b2c3d4e5f/default/8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b';
const OLD_STREAM =
  'brg-registry-example-com-team-app-1-0a1b2c3d4e5f/default/1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6';
// CloudWatch Logs tokens, as the API returns them: f/ (forward) or b/ (backward) and a number.
const FIRST_FORWARD = 'f/38172637391823471829374829130012834756120398475612093845/s';
const SECOND_FORWARD = 'f/38172637391823471829374829130012834756120398475612093999/s';
const BACKWARD = 'b/38172637391823471829374829130012834756120398475612093000/s';

const { batchMock, invoke: invokeHandler } = jobReadHarness({}, () => import('../../handlers/get-job-logs'));
const logsMock = mockClient(CloudWatchLogsClient);

beforeEach(() => {
  logsMock.reset();
});

/** A running job of the fixtures' caller (SPEC §14) that logs to STREAM. */
function job(overrides: Partial<JobDetail> = {}): JobDetail {
  return jobDetail({
    jobDefinition:
      'arn:aws:batch:us-east-1:123456789012:job-definition/brg-registry-example-com-team-app-1:1',
    container: { image: 'registry.example.com/team/app:1', logStreamName: STREAM },
    ...overrides,
  });
}

function logPage(messages: readonly string[], nextForwardToken = FIRST_FORWARD) {
  return {
    events: messages.map((message, index) => ({
      timestamp: 1741947363000 + index,
      message,
      ingestionTime: 1741947364000 + index,
    })),
    nextForwardToken,
    nextBackwardToken: BACKWARD,
  };
}

type LogsBody = { events?: unknown[]; nextToken?: string; errors?: unknown };

async function invoke(
  query: Record<string, string> | null = { limit: '50' },
  jobId: string = JOB_ID,
  userArn?: string,
): Promise<{ result: HttpResult; body: LogsBody }> {
  const event = loadFixture<HttpEvent>('http/get-job-logs.json');
  event.pathParameters = { jobId };
  if (userArn !== undefined) event.requestContext.authorizer.iam.userArn = userArn;
  // payload 2.0 leaves queryStringParameters out when there is no query string
  if (query === null) delete event.queryStringParameters;
  else event.queryStringParameters = query;
  return invokeHandler<LogsBody>(event);
}

describe('GET /jobs/{jobId}/logs handler', () => {
  it.each([
    ['another owner', 'arn:aws:sts::123456789012:assumed-role/other-team/run', {}],
    [
      'the owner, on a job without an owner tag (admins only)',
      'arn:aws:sts::123456789012:assumed-role/job-submitter/s',
      { tags: {} },
    ],
  ])('answers 404 as for an unknown job to %s, and reads no log', async (_case, userArn, overrides) => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job(overrides)] });

    const { result } = await invoke({ limit: '50' }, JOB_ID, userArn);

    expect(result.statusCode).toBe(404);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
    expect(logsMock).not.toHaveReceivedCommand(GetLogEventsCommand);
  });

  it('reads the job stream from its head in /aws/batch/job, oldest first, with ISO 8601 times', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock.on(GetLogEventsCommand).resolves(logPage(['hello', 'world']));

    const { result, body } = await invoke();

    expect(result.statusCode).toBe(200);
    expect(body.events).toEqual([
      { timestamp: '2025-03-14T10:16:03.000Z', message: 'hello' },
      { timestamp: '2025-03-14T10:16:03.001Z', message: 'world' },
    ]);
    expect(typeof body.nextToken).toBe('string');
    expect(logsMock).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logGroupName: '/aws/batch/job',
      logStreamName: STREAM,
      startFromHead: true,
      limit: 50,
    });
    expect(logsMock.commandCalls(GetLogEventsCommand)[0]?.args[0].input.nextToken).toBeUndefined();
  });

  it('uses 100 events per page when no limit is given', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock.on(GetLogEventsCommand).resolves(logPage([]));

    await invoke(null);

    expect(logsMock).toHaveReceivedCommandWith(GetLogEventsCommand, { limit: 100 });
  });

  it('continues from the forward token of the page before', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce(logPage(['one'], FIRST_FORWARD))
      .resolvesOnce(logPage(['two'], SECOND_FORWARD));

    const first = await invoke({ limit: '1' });
    const second = await invoke({ limit: '1', nextToken: String(first.body.nextToken) });

    expect(second.body.events).toEqual([{ timestamp: '2025-03-14T10:16:03.000Z', message: 'two' }]);
    expect(logsMock.commandCalls(GetLogEventsCommand)[1]?.args[0].input).toMatchObject({
      nextToken: FIRST_FORWARD,
      startFromHead: true,
      limit: 1,
    });
    expect(second.body.nextToken).not.toBe(first.body.nextToken);
  });

  it('keeps giving a token to a running job even when CloudWatch returns the same one', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock.on(GetLogEventsCommand).resolves(logPage([], FIRST_FORWARD));
    const first = await invoke();

    const again = await invoke({ nextToken: String(first.body.nextToken) });

    expect(again.body).toEqual({ events: [], nextToken: first.body.nextToken });
  });

  it('leaves the token out once the job has finished and CloudWatch returned the token it was given', async () => {
    batchMock
      .on(DescribeJobsCommand)
      .resolves({ jobs: [job({ status: 'SUCCEEDED', stoppedAt: 1741947422500 })] });
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce(logPage(['last line'], FIRST_FORWARD))
      .resolvesOnce(logPage([], FIRST_FORWARD));

    const first = await invoke();
    const end = await invoke({ nextToken: String(first.body.nextToken) });

    expect(first.body.nextToken).toEqual(expect.any(String));
    expect(end.body).toEqual({ events: [] });
  });

  it('reads the log group the job definition names', async () => {
    const custom = job();
    custom.container = {
      ...custom.container,
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/teams/data/batch' } },
    };
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [custom] });
    logsMock.on(GetLogEventsCommand).resolves(logPage(['x']));

    await invoke();

    expect(logsMock).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logGroupName: '/teams/data/batch',
      logStreamName: STREAM,
    });
  });

  it('reads the latest attempt of a retried job, and a token of an earlier attempt starts it from its head', async () => {
    const firstAttempt = job({ attempts: [] });
    firstAttempt.container = { ...firstAttempt.container, logStreamName: OLD_STREAM };
    const retried = job({
      attempts: [
        {
          container: {
            exitCode: 1,
            logStreamName: OLD_STREAM,
            taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/1',
          },
          startedAt: 1741947362000,
          stoppedAt: 1741947372000,
          statusReason: 'Essential container in task exited',
        },
      ],
    });
    batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce({ jobs: [firstAttempt] })
      .resolves({ jobs: [retried] });
    logsMock.on(GetLogEventsCommand).resolves(logPage(['attempt']));
    const old = await invoke();

    await invoke({ nextToken: String(old.body.nextToken) });

    const second = logsMock.commandCalls(GetLogEventsCommand)[1]?.args[0].input;
    expect(second).toMatchObject({ logStreamName: STREAM, startFromHead: true });
    expect(second?.nextToken).toBeUndefined();
  });

  it('answers 200 with no events and no token for an array parent, without calling CloudWatch', async () => {
    const parent = job({ arrayProperties: { size: 10, statusSummary: { RUNNING: 10 } } });
    parent.container = { image: 'registry.example.com/team/app:1' };
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [parent] });

    const { result, body } = await invoke();

    expect(result.statusCode).toBe(200);
    expect(body).toEqual({ events: [] });
    expect(logsMock).toHaveReceivedCommandTimes(GetLogEventsCommand, 0);
  });

  it('answers no events and a token for a job that has not started; the token later reads from the head', async () => {
    const queued = job({ status: 'RUNNABLE', startedAt: undefined });
    queued.container = { image: 'registry.example.com/team/app:1' };
    batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce({ jobs: [queued] })
      .resolves({ jobs: [job()] });
    logsMock.on(GetLogEventsCommand).resolves(logPage(['started']));

    const before = await invoke();
    const after = await invoke({ nextToken: String(before.body.nextToken) });

    expect(before.result.statusCode).toBe(200);
    expect(before.body.events).toEqual([]);
    expect(before.body.nextToken).toEqual(expect.any(String));
    expect(after.body.events).toHaveLength(1);
    expect(logsMock.commandCalls(GetLogEventsCommand)[0]?.args[0].input.nextToken).toBeUndefined();
  });

  it('answers no events and no token for a job that failed before it started', async () => {
    const failed = job({ status: 'FAILED', statusReason: 'Dependent Job failed', startedAt: undefined });
    failed.container = { image: 'registry.example.com/team/app:1' };
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [failed] });

    const { body } = await invoke();

    expect(body).toEqual({ events: [] });
  });

  it('answers no events while the stream does not exist yet (ResourceNotFoundException)', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'STARTING' })] });
    logsMock.on(GetLogEventsCommand).rejects(
      new CloudWatchLogsServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The specified log stream does not exist.',
      }),
    );

    const { result, body } = await invoke();

    expect(result.statusCode).toBe(200);
    expect(body.events).toEqual([]);
    expect(body.nextToken).toEqual(expect.any(String));
  });

  it.each([
    ['an unknown job', []],
    ['a job on another queue', [job({ jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/other' })]],
  ])('answers 404 as GET /jobs/{jobId} does for %s, without calling CloudWatch', async (_case, jobs) => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs });

    const { result } = await invoke();

    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(logsMock).toHaveReceivedCommandTimes(GetLogEventsCommand, 0);
  });

  it('answers 404 for a job id that is not a Batch job id, without calling AWS', async () => {
    const { result } = await invoke({}, 'not-a-job');

    expect(result.statusCode).toBe(404);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 0);
  });

  it.each([['0'], ['1001'], ['ten'], ['2.5']])('answers 400 naming limit for limit=%s', async (limit) => {
    const { result, body } = await invoke({ limit });

    expect(result.statusCode).toBe(400);
    expect(body.errors).toEqual([{ path: 'limit', message: expect.any(String) }]);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobsCommand, 0);
  });

  it.each([['not a token!'], [Buffer.from('{"x":1}').toString('base64url')]])(
    'answers 400 for a nextToken this API did not return (%s)',
    async (nextToken) => {
      const { result, body } = await invoke({ nextToken });

      expect(result.statusCode).toBe(400);
      expect(body.errors).toEqual([{ path: 'nextToken', message: expect.any(String) }]);
    },
  );

  it('answers 400 when CloudWatch refuses the token (expired after 24 hours)', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce(logPage(['a']))
      .rejects(
        new CloudWatchLogsServiceException({
          name: 'InvalidParameterException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'The specified nextToken is invalid.',
        }),
      );
    const first = await invoke();

    const { result } = await invoke({ nextToken: String(first.body.nextToken) });

    expect(result.statusCode).toBe(400);
  });

  it('answers 429 with Retry-After when CloudWatch Logs throttles, and 502 when it refuses access', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job()] });
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(
        new CloudWatchLogsServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .rejects(
        new CloudWatchLogsServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message:
            'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: logs:GetLogEvents',
        }),
      );

    const throttled = await invoke();
    const denied = await invoke();

    expect(throttled.result.statusCode).toBe(429);
    expect(throttled.result.headers?.['retry-after']).toBe('2');
    expect(denied.result.statusCode).toBe(502);
    expect(denied.result.body).not.toContain('not authorized');
  });

  it('answers 429 when Batch throttles DescribeJobs', async () => {
    batchMock.on(DescribeJobsCommand).rejects(batchTooManyRequests());

    const { result } = await invoke();

    expect(result.statusCode).toBe(429);
  });
});
