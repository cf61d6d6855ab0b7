import type { Config } from '../config';
import { ConfigError, HttpError } from '../errors';
import { logger } from '../logger';
import type { ImageReference } from '../registry/reference';
import { BoundedCache } from './bounded-cache';
import { type DefinitionIdentity, definitionImage } from './definition-spec';
import type { ImageRegistry } from './image-access';
import type { Platform } from './queue';

/** How the gateway looks up a registry's credential secret (CredentialSecretArns in production). */
export interface CredentialSecretLookup {
  arnFor(registry: string): Promise<string | undefined>;
  clear?(): void;
}

export interface DefinitionSettings {
  /** Deployment stage, part of every managed definition's name. */
  readonly stage: string;
  /** `TASK_CREDENTIALS`: `repositoryCredentials` for images in a registry of the secret. */
  readonly taskCredentials: boolean;
  readonly executionRoleArn: string | undefined;
  readonly jobRoleArn: string | undefined;
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  /** `SECRET_CACHE_SECONDS`: when a missing credential secret is looked for again (`Retry-After`). */
  readonly secretCacheSeconds: number;
}

/**
 * The planner's settings from the configuration. Throws ConfigError at cold start when task
 * credentials are on without `EXECUTION_ROLE_ARN` (SPEC §5: required with task credentials).
 */
export function definitionSettings(config: Config): DefinitionSettings {
  if (config.taskCredentials && config.executionRoleArn === undefined) {
    throw new ConfigError(['EXECUTION_ROLE_ARN is required when TASK_CREDENTIALS is true']);
  }
  return {
    stage: config.stage,
    taskCredentials: config.taskCredentials,
    executionRoleArn: config.executionRoleArn,
    jobRoleArn: config.jobRoleArn,
    assignPublicIp: config.assignPublicIp,
    secretCacheSeconds: config.secretCacheSeconds,
  };
}

/**
 * Decides which managed job definition an image gets (SPEC §11): with task credentials, an image
 * in a registry of the secret carries that registry's credential secret ARN and the execution
 * role; an `ALLOWED_REGISTRIES` image carries neither (Fargate still needs the execution role).
 * While a credential secret does not exist: on EC2 the definition has no `repositoryCredentials`
 * (instance credentials; logged once per registry), on Fargate HttpError 503 with `Retry-After`.
 */
export class DefinitionPlanner {
  private readonly fellBack = new BoundedCache<string, true>(256);

  constructor(
    private readonly credentialSecrets: CredentialSecretLookup,
    private readonly settings: DefinitionSettings,
  ) {}

  async identity(
    image: ImageReference,
    access: ImageRegistry,
    platform: Platform,
  ): Promise<DefinitionIdentity> {
    const fargate = platform === 'FARGATE';
    if (fargate && this.settings.executionRoleArn === undefined) {
      // Fargate pulls images and sends logs with the execution role only; the stack sets it.
      throw new HttpError(502, 'Bad Gateway', 'The gateway is not configured for a Fargate job queue.', {
        cause: new ConfigError(['EXECUTION_ROLE_ARN is required for a Fargate job queue']),
      });
    }
    const credentialSecretArn = await this.credentialSecretFor(access, platform);
    return {
      stage: this.settings.stage,
      image: definitionImage(image),
      platform,
      credentialSecretArn,
      executionRoleArn: fargate || credentialSecretArn ? this.settings.executionRoleArn : undefined,
      jobRoleArn: this.settings.jobRoleArn,
      assignPublicIp: this.settings.assignPublicIp,
    };
  }

  /** Forgets credential secret lookups and which fallbacks were logged (tests). */
  clear(): void {
    this.fellBack.clear();
    this.credentialSecrets.clear?.();
  }

  private async credentialSecretFor(access: ImageRegistry, platform: Platform): Promise<string | undefined> {
    if (!this.settings.taskCredentials || access.credentials === undefined) return undefined;
    const registry = access.registry.name;
    const arn = await this.credentialSecrets.arnFor(registry);
    if (arn) {
      this.fellBack.delete(registry);
      return arn;
    }
    if (platform === 'FARGATE') {
      const retryAfter = String(Math.max(1, this.settings.secretCacheSeconds));
      throw new HttpError(
        503,
        'Service Unavailable',
        `The credentials for the registry ${registry} have not been rolled out to the job queue yet; retry after ${retryAfter} second${retryAfter === '1' ? '' : 's'}.`,
        { headers: { 'retry-after': retryAfter } },
      );
    }
    if (!this.fellBack.get(registry)) {
      this.fellBack.set(registry, true);
      logger.warn('no credential secret for the registry yet: jobs use the instance credentials', {
        registry,
      });
    }
    return undefined;
  }
}
