// INTERFACE STUB: implemented by the registry-core work (issue 3). Signatures are fixed.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RegistryCredential } from './secret';

/** Which version of the secret to read. */
export type SecretVersionSelector = { readonly versionId: string } | { readonly versionStage: string };

export interface SecretVersion {
  readonly versionId: string;
  readonly credentials: readonly RegistryCredential[];
}

/**
 * Reads and parses one version of the registry secret (GetSecretValue). Throws SecretFormatError
 * for a malformed value; AWS errors pass through with their names.
 */
export async function readRegistrySecret(
  _client: SecretsManagerClient,
  _secretId: string,
  _selector: SecretVersionSelector,
): Promise<SecretVersion> {
  throw new Error('not implemented');
}

/** Caches AWSCURRENT for `ttlSeconds` per container; `now` is injectable for tests. */
export class CurrentSecretCache {
  constructor(
    readonly client: SecretsManagerClient,
    readonly secretId: string,
    readonly ttlSeconds: number,
    readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<SecretVersion> {
    throw new Error('not implemented');
  }
}
