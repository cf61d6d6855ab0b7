/**
 * Error types shared across the service. Every message here is safe to log and to show:
 * none carries a credential, a secret value, or a whole request.
 */

/** An error with an HTTP status; messages below 500 are shown to the caller. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly statusCode: number;
  readonly title: string;
  readonly errors?: ReadonlyArray<{ path: string; message: string }>;
  /** Extra response headers, e.g. `retry-after` on a 429. */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    title: string,
    message: string,
    options?: {
      cause?: unknown;
      errors?: ReadonlyArray<{ path: string; message: string }>;
      headers?: Readonly<Record<string, string>>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = statusCode;
    this.title = title;
    if (options?.errors) this.errors = options.errors;
    if (options?.headers) this.headers = options.headers;
  }
}

/** Configuration is missing or malformed; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Narrows an unknown caught value to an Error. */
export function isError(value: unknown): value is Error {
  return value instanceof Error;
}

/**
 * A short description of a caught value for logs: an Error's name and message; for anything else
 * thrown only that it was not an Error (its contents are not quoted).
 */
export function describeError(value: unknown): string {
  return isError(value) ? `${value.name}: ${value.message}` : 'non-error thrown';
}
