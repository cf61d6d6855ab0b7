import type { HttpEvent } from '../http';

/** The caller's IAM identity from the IAM authorizer context (absent when IAM auth is off locally). */
export function callerArn(event: HttpEvent): string | undefined {
  return event.requestContext?.authorizer?.iam?.userArn ?? undefined;
}

/** The `{jobId}` path parameter. */
export function jobIdParameter(event: HttpEvent): string | undefined {
  return event.pathParameters?.jobId;
}
