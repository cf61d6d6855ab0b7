// INTERFACE STUB: implemented by the registry-core work (issue 3). Signatures are fixed.
import type { RegistryName } from './registry-name';

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

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistryClientOptions {
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
}

/** Registry HTTP API v2 client: login and manifest checks, with token reuse until expiry. */
export class RegistryClient {
  constructor(readonly options: RegistryClientOptions) {}

  /** `GET /v2/` with the credentials (following a Bearer challenge); throws RegistryError. */
  async login(_registry: RegistryName, _credentials: BasicCredentials | undefined): Promise<void> {
    throw new Error('not implemented');
  }

  /**
   * `HEAD /v2/<repository>/manifests/<reference>` (tag or digest) with the Docker and OCI manifest
   * media types. Resolves true when it exists, false on 404; throws RegistryError otherwise.
   */
  async manifestExists(
    _registry: RegistryName,
    _repository: string,
    _reference: string,
    _credentials: BasicCredentials | undefined,
  ): Promise<boolean> {
    throw new Error('not implemented');
  }
}
