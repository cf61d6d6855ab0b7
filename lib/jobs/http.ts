import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../http';
import { RETRY_AFTER_SECONDS } from './aws-errors';

/** The caller's IAM identity from the IAM authorizer context (absent when IAM auth is off locally). */
export function callerArn(event: HttpEvent): string | undefined {
  return event.requestContext?.authorizer?.iam?.userArn ?? undefined;
}

/** The `{jobId}` path parameter. */
export function jobIdParameter(event: HttpEvent): string | undefined {
  return event.pathParameters?.jobId;
}

/**
 * Adds `Retry-After` to a 429 answer. It wraps the middy handler from `httpHandler`, whose error
 * boundary builds the problem+json response but sets no extra header.
 */
export function withRetryAfter(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return async (event, context) => {
    const result = await handler(event, context);
    if (result.statusCode !== 429) return result;
    return { ...result, headers: { ...result.headers, 'retry-after': String(RETRY_AFTER_SECONDS) } };
  };
}
