import type { JobDetail } from '@aws-sdk/client-batch';
import { HttpError } from '../errors';

/** The log group AWS Batch writes to unless a job definition's awslogs driver names another. */
export const DEFAULT_BATCH_LOG_GROUP = '/aws/batch/job';

const FINISHED = new Set(['SUCCEEDED', 'FAILED']);

/** Where a job's output is: a CloudWatch Logs stream, or nowhere (yet, or ever). */
export type JobLogSource =
  | { readonly kind: 'stream'; readonly logGroup: string; readonly logStream: string }
  | { readonly kind: 'none'; readonly reason: 'array-parent' | 'not-started' | 'not-cloudwatch' };

/**
 * The CloudWatch Logs stream of a job's latest attempt (pure). `container.logStreamName` is the
 * current attempt's; a finished attempt's stream is in `attempts`. An array parent runs nothing
 * itself (its children do); a job definition whose log driver is not `awslogs` sends nothing to
 * CloudWatch Logs.
 */
export function jobLogSource(job: JobDetail): JobLogSource {
  if (job.arrayProperties?.size !== undefined && job.arrayProperties.index === undefined) {
    return { kind: 'none', reason: 'array-parent' };
  }
  const logConfiguration = job.container?.logConfiguration;
  if (logConfiguration?.logDriver !== undefined && logConfiguration.logDriver !== 'awslogs') {
    return { kind: 'none', reason: 'not-cloudwatch' };
  }
  const latestAttempt = job.attempts?.at(-1)?.container?.logStreamName;
  const logStream = job.container?.logStreamName ?? latestAttempt;
  if (!logStream) return { kind: 'none', reason: 'not-started' };
  const logGroup = logConfiguration?.options?.['awslogs-group'] || DEFAULT_BATCH_LOG_GROUP;
  return { kind: 'stream', logGroup, logStream };
}

/** True when the job will write no more output. */
export function isFinished(job: JobDetail): boolean {
  return FINISHED.has(job.status ?? '');
}

/**
 * The API's page token: CloudWatch's forward token bound to the stream it belongs to, so a token
 * of an earlier attempt (or of "no stream yet") starts the latest attempt's stream from its head.
 */
export interface PageToken {
  /** The log stream the CloudWatch token belongs to; empty before the job had one. */
  readonly logStream: string;
  /** CloudWatch's `nextForwardToken`; empty to start from the head. */
  readonly forwardToken: string;
}

/** Encodes a page token as base64url JSON (pure). */
export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify({ s: token.logStream, t: token.forwardToken }), 'utf8').toString(
    'base64url',
  );
}

/** Decodes a page token this API returned. Throws HttpError 400 for anything else. */
export function decodePageToken(text: string): PageToken {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const stream = field(decoded, 's');
  const forward = field(decoded, 't');
  if (typeof stream !== 'string' || typeof forward !== 'string') {
    throw new HttpError(400, 'Bad Request', 'The nextToken is not one this API returned.', {
      errors: [{ path: 'nextToken', message: 'is not a token this API returned' }],
    });
  }
  return { logStream: stream, forwardToken: forward };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (Reflect.get(value, key) as unknown) : undefined;
}

/**
 * SPEC §13: the next token is left out only when the job has finished and CloudWatch returned the
 * token it was given (nothing more will come); a running job always gets one (pure).
 */
export function shouldEndPaging(
  finished: boolean,
  given: string | undefined,
  returned: string | undefined,
): boolean {
  return finished && (returned === undefined || returned === given);
}
