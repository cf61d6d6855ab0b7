import type { BasicCredentials } from '../registry/client';
import { RegistryError } from '../registry/client';
import type { RegistryName } from '../registry/registry-name';
import type { RegistryCredential } from '../registry/secret';

/** What checks a registry login: `RegistryClient` in production, a fake in tests. */
export interface CredentialVerifier {
  login(registry: RegistryName, credentials: BasicCredentials | undefined): Promise<void>;
}

/** One registry that refused (or could not check) its credentials. */
export interface RegistryLoginFailure {
  readonly registry: string;
  /** The HTTP status the registry answered, when it answered. */
  readonly status: number | undefined;
  readonly reason: string;
}

/**
 * Logging in to at least one registry failed. The message names each registry and its HTTP
 * status; it never carries a username or password.
 */
export class CredentialCheckError extends Error {
  override readonly name = 'CredentialCheckError';
  readonly failures: readonly RegistryLoginFailure[];

  constructor(failures: readonly RegistryLoginFailure[], options?: { cause?: unknown }) {
    super(
      `Registry login failed: ${failures
        .map(
          (f) =>
            `${f.registry} (${f.status === undefined ? 'no HTTP status' : `HTTP ${f.status}`}: ${f.reason})`,
        )
        .join('; ')}`,
      options,
    );
    this.failures = failures;
  }
}

function describeLoginFailure(registry: string, error: unknown): RegistryLoginFailure {
  if (error instanceof RegistryError) {
    return { registry, status: error.status, reason: error.kind };
  }
  // Anything else is unexpected; its name is enough to act on and cannot carry a credential.
  return { registry, status: undefined, reason: error instanceof Error ? error.name : 'unknown error' };
}

/**
 * Logs in to every registry in `credentials` concurrently (Registry HTTP API v2, `GET /v2/`).
 * Throws CredentialCheckError naming every registry that failed and its HTTP status.
 */
export async function verifyRegistryCredentials(
  verifier: CredentialVerifier,
  credentials: readonly RegistryCredential[],
): Promise<void> {
  const results = await Promise.allSettled(
    credentials.map((credential) =>
      verifier.login(credential.registry, { username: credential.username, password: credential.password }),
    ),
  );
  const failures: RegistryLoginFailure[] = [];
  let firstCause: unknown;
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return;
    const registry = credentials[index]?.registry.name ?? `entry ${index + 1}`;
    failures.push(describeLoginFailure(registry, result.reason));
    firstCause ??= result.reason;
  });
  if (failures.length > 0) throw new CredentialCheckError(failures, { cause: firstCause });
}
