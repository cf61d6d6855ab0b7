import { ConfigError } from './errors';
import { normaliseRegistryName, type RegistryName, RegistryNameError } from './registry/registry-name';

/** What a function needs beyond the secret: the rollout settings, the gateway settings, or both. */
export type ConfigNeed = 'rollout' | 'gateway';

export interface Config {
  readonly registrySecretArn: string;
  readonly launchTemplateId: string;
  readonly computeEnvironments: readonly string[];
  readonly jobQueue: string;
  readonly jobRoleArn: string | undefined;
  readonly allowedRegistries: readonly RegistryName[];
  readonly verifyImages: boolean;
  readonly verifyCredentials: boolean;
  readonly updateTerminateJobs: boolean;
  readonly updateJobTimeoutMinutes: number;
  readonly keepLaunchTemplateVersions: number;
  /** How long a secret value is reused before it is read again. */
  readonly secretCacheSeconds: number;
  /** How long a successful manifest check is reused (0 turns the cache off). */
  readonly imageCacheSeconds: number;
  /** Bound on each registry HTTP request. */
  readonly registryTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates every variable of SPEC §5 once. Throws one ConfigError naming every
 * problem. `needs` says which variables are required: rollout needs LAUNCH_TEMPLATE_ID and
 * COMPUTE_ENVIRONMENTS, the gateway needs JOB_QUEUE.
 */
export function loadConfig(env: Env, needs: readonly ConfigNeed[] = []): Config {
  const problems: string[] = [];
  const text = (name: string, required: boolean): string => {
    const value = env[name]?.trim() ?? '';
    if (required && value === '') problems.push(`${name} is required`);
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = env[name]?.trim().toLowerCase();
    if (value === undefined || value === '') return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    problems.push(`${name} must be "true" or "false"`);
    return fallback;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  };
  const list = (name: string, required: boolean): string[] => {
    const items = text(name, required)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return items;
  };

  const rollout = needs.includes('rollout');
  const gateway = needs.includes('gateway');
  const registrySecretArn = text('REGISTRY_SECRET_ARN', true);
  const launchTemplateId = text('LAUNCH_TEMPLATE_ID', rollout);
  const computeEnvironments = list('COMPUTE_ENVIRONMENTS', false);
  const jobQueue = text('JOB_QUEUE', gateway);
  const jobRoleArn = text('JOB_ROLE_ARN', false) || undefined;
  if (jobRoleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(jobRoleArn)) {
    problems.push('JOB_ROLE_ARN must be an IAM role ARN');
  }
  const allowedRegistries: RegistryName[] = [];
  list('ALLOWED_REGISTRIES', false).forEach((entry, index) => {
    try {
      allowedRegistries.push(normaliseRegistryName(entry));
    } catch (error) {
      if (!(error instanceof RegistryNameError)) throw error;
      problems.push(`ALLOWED_REGISTRIES entry ${index + 1}: ${error.message}`);
    }
  });
  const config: Config = {
    registrySecretArn,
    launchTemplateId,
    computeEnvironments,
    jobQueue,
    jobRoleArn,
    allowedRegistries,
    verifyImages: bool('VERIFY_IMAGES', true),
    verifyCredentials: bool('VERIFY_CREDENTIALS', true),
    updateTerminateJobs: bool('UPDATE_TERMINATE_JOBS', false),
    updateJobTimeoutMinutes: int('UPDATE_JOB_TIMEOUT_MINUTES', 30, 1, 7200),
    keepLaunchTemplateVersions: int('KEEP_LAUNCH_TEMPLATE_VERSIONS', 10, 1, 10000),
    secretCacheSeconds: int('SECRET_CACHE_SECONDS', 60, 0, 3600),
    imageCacheSeconds: int('IMAGE_CACHE_SECONDS', 30, 0, 3600),
    registryTimeoutMs: int('REGISTRY_TIMEOUT_MS', 5000, 100, 60000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
