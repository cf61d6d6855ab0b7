import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsFailure } from '../aws-errors';
import { isError } from '../errors';
import { registryCredentialSecretName } from '../task-credentials/secret-name';
import { BoundedCache } from './bounded-cache';

export interface CredentialSecretSettings {
  /** `REGISTRY_SECRET_PREFIX`. */
  readonly prefix: string;
  /** `SECRET_CACHE_SECONDS`: how long a lookup (found or missing) is reused. */
  readonly ttlSeconds: number;
}

/** More registries than a registry secret holds in practice; the cache stays bounded regardless. */
const MAX_REGISTRIES = 256;

interface Lookup {
  readonly arn: string | undefined;
  readonly readAt: number;
}

/**
 * Finds the ARN of a registry's credential secret (SPEC §11) by its name
 * (`registryCredentialSecretName`) with DescribeSecret, cached per registry for `ttlSeconds`, found
 * or not. A secret that does not exist or is scheduled for deletion (`DeletedDate`) is missing
 * (undefined). Concurrent lookups of one registry share one call; a failed lookup is not kept.
 * Throws HttpError 429 when Secrets Manager throttles, 502 for any other AWS error.
 */
export class CredentialSecretArns {
  private readonly lookups = new BoundedCache<string, Lookup>(MAX_REGISTRIES);
  private readonly pending = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly settings: CredentialSecretSettings,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The ARN of `registry`'s credential secret, or undefined while it does not exist. */
  async arnFor(registry: string): Promise<string | undefined> {
    const cached = this.lookups.get(registry);
    if (cached && this.now() - cached.readAt < this.settings.ttlSeconds * 1000) return cached.arn;
    const inFlight = this.pending.get(registry);
    if (inFlight) return inFlight;
    const readAt = this.now();
    const lookup = this.describe(registry)
      .then((arn) => {
        this.lookups.set(registry, { arn, readAt });
        return arn;
      })
      .finally(() => this.pending.delete(registry));
    this.pending.set(registry, lookup);
    return lookup;
  }

  /** Forgets every lookup (tests; a new container starts empty). */
  clear(): void {
    this.lookups.clear();
  }

  private async describe(registry: string): Promise<string | undefined> {
    const name = registryCredentialSecretName(this.settings.prefix, registry);
    try {
      const described = await this.secretsManager.send(new DescribeSecretCommand({ SecretId: name }));
      return described.DeletedDate === undefined ? described.ARN : undefined;
    } catch (error) {
      if (isError(error) && error.name === 'ResourceNotFoundException') return undefined;
      throw awsFailure(error, 'The gateway could not look up the registry credential secret.');
    }
  }
}
