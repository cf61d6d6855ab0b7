import type { JobDetail } from '@aws-sdk/client-batch';
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awsFailure } from '../aws-errors';
import { HttpError, isError } from '../errors';
import type { JobLogs, JobLogsQuery } from './schema';
import { decodePageToken, encodePageToken, isFinished, jobLogSource, shouldEndPaging } from './stream';

/**
 * Describes the job the request names, if the caller may read it, or throws HttpError 404 exactly
 * as `GET /jobs/{jobId}` does (unknown, not on the gateway's queue, not the caller's: SPEC §14).
 */
export type FindJob = () => Promise<JobDetail>;

/**
 * `GET /jobs/{jobId}/logs` (SPEC §13): one page of the job's CloudWatch Logs stream, oldest first.
 * A job without a stream (not started, array parent, another log driver) has no events.
 */
export class JobLogReader {
  constructor(private readonly logs: CloudWatchLogsClient) {}

  /**
   * Reads one page (DescribeJobs, then GetLogEvents with startFromHead). Throws HttpError 404 as
   * GET, 400 for a token this API did not return, 429 when AWS throttled, 502 when AWS failed.
   */
  async read(query: JobLogsQuery, findJob: FindJob): Promise<JobLogs> {
    const given = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken);
    const job = await findJob();
    const finished = isFinished(job);
    const source = jobLogSource(job);
    if (source.kind === 'none') {
      // Not started yet: come back with this token; an array parent or a finished job: nothing more.
      const more = source.reason === 'not-started' && !finished;
      return more
        ? { events: [], nextToken: encodePageToken({ logStream: '', forwardToken: '' }) }
        : { events: [] };
    }
    // A token of an earlier attempt (or from before the job had a stream) starts this stream's head.
    const forwardToken =
      given !== undefined && given.logStream === source.logStream && given.forwardToken !== ''
        ? given.forwardToken
        : undefined;
    const page = await this.getLogEvents(source.logGroup, source.logStream, forwardToken, query.limit);
    const events = (page?.events ?? []).map((event) => ({
      timestamp: new Date(event.timestamp ?? 0).toISOString(),
      message: event.message ?? '',
    }));
    const returned = page === undefined ? forwardToken : page.nextForwardToken;
    if (shouldEndPaging(finished, forwardToken, returned)) return { events };
    return {
      events,
      nextToken: encodePageToken({ logStream: source.logStream, forwardToken: returned ?? '' }),
    };
  }

  /** One GetLogEvents call; undefined when the stream does not exist (yet). */
  private async getLogEvents(
    logGroupName: string,
    logStreamName: string,
    nextToken: string | undefined,
    limit: number,
  ) {
    try {
      return await this.logs.send(
        new GetLogEventsCommand({
          logGroupName,
          logStreamName,
          startFromHead: true,
          limit,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
    } catch (error) {
      if (isError(error) && error.name === 'ResourceNotFoundException') return undefined;
      if (isError(error) && error.name === 'InvalidParameterException' && nextToken !== undefined) {
        throw new HttpError(400, 'Bad Request', "The nextToken is not valid for this job's log stream.", {
          cause: error,
          errors: [{ path: 'nextToken', message: "is not valid for this job's log stream" }],
        });
      }
      throw awsFailure(error, "CloudWatch Logs failed to return the job's log events.");
    }
  }
}
