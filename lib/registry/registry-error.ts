/**
 * What went wrong: `unauthorized` (credentials refused), `not-found` (no such manifest, or the
 * accepted credentials cannot read the repository), `throttled` (HTTP 429), `timeout` (no answer
 * within the request timeout or the caller's deadline), `unreachable`, `tls`, `unexpected-status`.
 */
export type RegistryErrorKind =
  | 'unauthorized'
  | 'not-found'
  | 'throttled'
  | 'timeout'
  | 'unreachable'
  | 'tls'
  | 'unexpected-status';

/** Who answered: the registry itself (or a host it redirected to), or its token service. */
export type RegistryErrorSource = 'registry' | 'token-service';

export interface RegistryErrorOptions {
  readonly cause?: unknown;
  readonly source?: RegistryErrorSource;
  /** From the registry's `Retry-After`, on `throttled`. */
  readonly retryAfterSeconds?: number;
}

/** A registry call failed. Names the registry and status; never a credential. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly source: RegistryErrorSource;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly kind: RegistryErrorKind,
    readonly registry: string,
    readonly status: number | undefined,
    message: string,
    options?: RegistryErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.source = options?.source ?? 'registry';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** Username and password for Basic authentication, as the registry secret holds them. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}
