import type { HttpEvent } from '../http';

/** The `{jobId}` path parameter. */
export function jobIdParameter(event: HttpEvent): string | undefined {
  return event.pathParameters?.jobId;
}
