import { HttpError, isError } from './errors';

/** Seconds a throttled caller is asked to wait (the `Retry-After` header of a 429). */
export const RETRY_AFTER_SECONDS = 2;

// Error codes AWS services use for throttling (AWS Batch answers HTTP 429 TooManyRequestsException;
// Secrets Manager and others use ThrottlingException); the SDK also marks them $retryable.throttling.
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

/** True when an AWS SDK error says the call was throttled. */
export function isThrottling(error: unknown): boolean {
  if (!isError(error)) return false;
  return (
    THROTTLING_NAMES.has(error.name) ||
    field(field(error, '$retryable'), 'throttling') === true ||
    field(field(error, '$metadata'), 'httpStatusCode') === 429
  );
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (Reflect.get(value, key) as unknown) : undefined;
}

/**
 * Turns an AWS SDK error into the gateway's HTTP error: throttling → 429, anything else → 502
 * with `failure` as the text. The AWS message is never shown; it stays in `cause` for the log.
 * An HttpError passes through unchanged.
 */
export function awsFailure(error: unknown, failure: string): HttpError {
  if (error instanceof HttpError) return error;
  if (isThrottling(error)) {
    return new HttpError(
      429,
      'Too Many Requests',
      `AWS throttled the request; retry after ${RETRY_AFTER_SECONDS} seconds.`,
      { cause: error, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
    );
  }
  return new HttpError(502, 'Bad Gateway', failure, { cause: error });
}

/** Runs one AWS call; its error becomes the HttpError of awsFailure. */
export async function callAws<T>(call: () => Promise<T>, failure: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsFailure(error, failure);
  }
}
