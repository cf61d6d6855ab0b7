export type RegistryErrorKind = 'unauthorized' | 'not-found' | 'unreachable' | 'tls' | 'unexpected-status';

/** A registry call failed. Names the registry and status; never a credential. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    readonly registry: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Username and password for Basic authentication, as the registry secret holds them. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}
