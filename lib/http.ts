import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describeError, HttpError } from './errors';
import { logger } from './logger';

export type HttpEvent = APIGatewayProxyEventV2WithIAMAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Largest accepted request body (SPEC §8: 413 above it). */
export const MAX_BODY_BYTES = 64 * 1024;

const PROBLEM_TYPE = 'about:blank';

/** A JSON response. */
export function json(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** An RFC 9457 problem response. */
export function problem(
  statusCode: number,
  title: string,
  detail: string,
  extra: Pick<HttpError, 'errors' | 'headers'> = {},
): HttpResult {
  const { errors, headers } = extra;
  return {
    statusCode,
    headers: { ...headers, 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: PROBLEM_TYPE,
      title,
      status: statusCode,
      detail,
      ...(errors ? { errors } : {}),
    }),
  };
}

/**
 * Turns any error into a problem+json response: an HttpError below 500 shows its message; anything
 * else is logged by name and message (never the event) and answered with a generic 5xx.
 */
export function errorToProblem(error: unknown, awsRequestId?: string): HttpResult {
  if (error instanceof HttpError && error.statusCode < 500) {
    return problem(error.statusCode, error.title, error.message, error);
  }
  if (error instanceof HttpError) {
    logger.error('request failed', {
      status: error.statusCode,
      error: error.message,
      cause: causeName(error),
    });
    return problem(error.statusCode, error.title, error.message, { headers: error.headers });
  }
  logger.error('unexpected error', {
    error: describeError(error),
  });
  return problem(
    500,
    'Internal Server Error',
    `The request failed; quote request id ${awsRequestId ?? 'unknown'} to the operator.`,
  );
}

/** The cause's name and message, for the operator: AWS and registry errors carry no credential. */
function causeName(error: Error): string | undefined {
  return error.cause instanceof Error ? describeError(error.cause) : undefined;
}

/**
 * Reads the request body as JSON. Throws HttpError 413 above MAX_BODY_BYTES and 400 when the body
 * is missing or not JSON.
 */
export function readJsonBody(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new HttpError(
      413,
      'Payload Too Large',
      `The request body is ${bytes.byteLength} bytes; the limit is ${MAX_BODY_BYTES}.`,
    );
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '')
    throw new HttpError(400, 'Bad Request', 'The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Bad Request', 'The request body is not valid JSON.');
  }
}

/**
 * Wraps an HTTP handler in middy with the one error boundary: whatever it throws becomes a
 * problem+json response (this middleware is the last `.use()`).
 */
export function httpHandler(
  fn: (event: HttpEvent, context: Context) => Promise<HttpResult>,
): middy.MiddyfiedHandler<HttpEvent, HttpResult, Error, Context> {
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use({
      before: (request) => {
        logger.addContext(request.context);
        logger.appendKeys({
          route: request.event.routeKey,
          requestId: request.event.requestContext?.requestId,
        });
      },
      after: () => logger.resetKeys(),
      onError: (request) => {
        request.response = errorToProblem(request.error, request.context.awsRequestId);
        logger.resetKeys();
      },
    })
    .handler(fn);
}
