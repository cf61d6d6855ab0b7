import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from './secret';

/** Which version of the secret to read. */
export type SecretVersionSelector = { readonly versionId: string } | { readonly versionStage: string };

export interface SecretVersion {
  readonly versionId: string;
  readonly credentials: readonly RegistryCredential[];
}

/**
 * Reads and parses one version of the registry secret (GetSecretValue with VersionId or
 * VersionStage). Throws SecretFormatError for a malformed value (the message starts with the
 * version id and names the rule, never a value) or a binary-only secret; AWS errors
 * (ResourceNotFoundException, AccessDeniedException, DecryptionFailure, ...) pass through with
 * their names.
 */
export async function readRegistrySecret(
  client: SecretsManagerClient,
  secretId: string,
  selector: SecretVersionSelector,
): Promise<SecretVersion> {
  const response = await client.send(
    new GetSecretValueCommand(
      'versionId' in selector
        ? { SecretId: secretId, VersionId: selector.versionId }
        : { SecretId: secretId, VersionStage: selector.versionStage },
    ),
  );
  const versionId = response.VersionId ?? ('versionId' in selector ? selector.versionId : undefined);
  if (versionId === undefined) throw new Error(`GetSecretValue returned no VersionId for ${secretId}`);
  if (response.SecretString === undefined) {
    throw new SecretFormatError(
      `secret version ${versionId}: has no SecretString (a binary secret is not supported; store JSON text)`,
    );
  }
  try {
    return { versionId, credentials: parseRegistrySecret(response.SecretString) };
  } catch (error) {
    if (error instanceof SecretFormatError) {
      throw new SecretFormatError(`secret version ${versionId}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Caches AWSCURRENT for `ttlSeconds` per container (0: read every time); `now` is injectable for
 * tests. Concurrent callers share one in-flight read; a failed read is not cached.
 */
export class CurrentSecretCache {
  private cached: { readonly value: SecretVersion; readonly readAt: number } | undefined;
  private pending: Promise<SecretVersion> | undefined;

  constructor(
    readonly client: SecretsManagerClient,
    readonly secretId: string,
    readonly ttlSeconds: number,
    readonly now: () => number = Date.now,
  ) {}

  /** The AWSCURRENT version, read again when the cached one is older than the TTL. */
  async get(): Promise<SecretVersion> {
    if (this.cached && this.now() - this.cached.readAt < this.ttlSeconds * 1000) return this.cached.value;
    if (this.pending) return this.pending;
    const readAt = this.now();
    this.pending = readRegistrySecret(this.client, this.secretId, { versionStage: 'AWSCURRENT' })
      .then((value) => {
        this.cached = { value, readAt };
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Forgets the cached value, so the next get() reads the secret again. */
  invalidate(): void {
    this.cached = undefined;
  }
}

/** The version that carries `stage` in DescribeSecret's VersionIdsToStages, if one does. */
export function versionWithStage(
  versionIdsToStages: Record<string, string[]> | undefined,
  stage: 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS',
): string | undefined {
  return Object.entries(versionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];
}
