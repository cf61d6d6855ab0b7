import type { Problem } from './api-types';

/** One field the gateway refused, from a problem's `errors`. */
export type FieldError = NonNullable<Problem['errors']>[number];

/**
 * Every failure of a gateway call: an answer other than 2xx (with the RFC 9457 problem+json
 * fields the gateway sent, or API Gateway's `{"message"}`), or a request that never got one
 * (`status` 0: network failure). Thrown after the client's own retries are spent.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The problem's `type` (`about:blank` for the gateway's own errors). */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Each failing field of a 400. */
  readonly errors: readonly FieldError[];
  /** Seconds the gateway asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** API Gateway's request id, for the operator. */
  readonly requestId: string | undefined;
  /** How many requests were sent, retries included. */
  readonly attempts: number;

  constructor(fields: {
    status: number;
    type?: string;
    title: string;
    detail: string;
    errors?: readonly FieldError[];
    retryAfterSeconds?: number | undefined;
    requestId?: string | undefined;
    attempts: number;
    cause?: unknown;
  }) {
    super(`${fields.status ? `${fields.status} ` : ''}${fields.title}: ${fields.detail}`, {
      cause: fields.cause,
    });
    this.status = fields.status;
    this.type = fields.type ?? 'about:blank';
    this.title = fields.title;
    this.detail = fields.detail;
    this.errors = fields.errors ?? [];
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.requestId = fields.requestId;
    this.attempts = fields.attempts;
  }
}

/** Builds the error of a non-2xx answer from its body: problem+json, `{"message"}`, or anything. */
export function errorFromResponse(
  status: number,
  statusText: string,
  body: unknown,
  meta: { retryAfterSeconds: number | undefined; requestId: string | undefined; attempts: number },
): GatewayError {
  const object = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (key: string) => (typeof object[key] === 'string' ? (object[key] as string) : undefined);
  const errors = Array.isArray(object.errors)
    ? object.errors.filter(
        (entry): entry is FieldError =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (entry as FieldError).path === 'string' &&
          typeof (entry as FieldError).message === 'string',
      )
    : [];
  return new GatewayError({
    status,
    type: text('type') ?? 'about:blank',
    title: text('title') ?? (statusText || `HTTP ${status}`),
    detail: text('detail') ?? text('message') ?? `The gateway answered HTTP ${status}.`,
    errors,
    ...meta,
  });
}
