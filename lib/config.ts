import { ConfigError } from './errors';
import { normaliseRegistryName, type RegistryName, RegistryNameError } from './registry/registry-name';

/** What a function needs beyond the secret: the rollout settings, the gateway settings, or both. */
export type ConfigNeed = 'rollout' | 'gateway' | 'fleet';

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
  /** One deadline for a whole manifest check of POST /jobs (requests, redirects, tokens). */
  readonly registryDeadlineMs: number;
  /** The staging secret an operator puts new credentials into before a rotation (SPEC §6). */
  readonly stagingSecretArn: string | undefined;
  /** Per-registry credential secrets and `repositoryCredentials` (SPEC §11). */
  readonly taskCredentials: boolean;
  /** Instances read the registry secret at boot (SPEC §7); false is the hardened mode. */
  readonly instanceCredentials: boolean;
  /** Name prefix of the per-registry credential secrets (SPEC §11). */
  readonly registrySecretPrefix: string;
  /** Execution role of managed job definitions (SPEC §11). */
  readonly executionRoleArn: string | undefined;
  /** `networkConfiguration.assignPublicIp` of Fargate job definitions. */
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  /** DynamoDB table for `Idempotency-Key` (SPEC §14). */
  readonly idempotencyTable: string | undefined;
  /** Owner keys (or role ARNs) that may read and cancel every job (SPEC §14), as configured. */
  readonly adminPrincipals: readonly string[];
  /** BRG_LOCAL_CALLER: the local stack's caller (IAM is off there); never set in a deployed stack (SPEC §14). */
  readonly localCaller: string | undefined;
  /** Where fleetReport puts the convergence event (SPEC §12). */
  readonly eventBusName: string;
  /** Share identifier used on a fair-share queue when the caller gives none (SPEC §15). */
  readonly defaultShareIdentifier: string | undefined;
  /** The deployment stage (`STAGE`, set by the stack): names the managed job definitions (SPEC §11) and is the `stage` dimension of the metrics (SPEC §12). */
  readonly stage: string;
  /** DynamoDB table where fleetReport records the convergence events it sent (SPEC §12). */
  readonly convergenceTable: string | undefined;
}

/** Default name prefix of the per-registry credential secrets when none is configured. */
export const DEFAULT_REGISTRY_SECRET_PREFIX = 'batch-registry-gateway/registry-credentials/';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates every variable of SPEC §5 once. Throws one ConfigError naming every
 * problem. `needs` says which variables are required: rollout needs LAUNCH_TEMPLATE_ID unless
 * TASK_CREDENTIALS=true (an all-Fargate or hardened stack has no instances to configure, SPEC
 * §11), the gateway needs JOB_QUEUE. INSTANCE_CREDENTIALS=false needs TASK_CREDENTIALS=true.
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
  const taskCredentials = bool('TASK_CREDENTIALS', true);
  const instanceCredentials = bool('INSTANCE_CREDENTIALS', true);
  const launchTemplateId = text('LAUNCH_TEMPLATE_ID', false);
  if (rollout && launchTemplateId === '' && !taskCredentials) {
    problems.push('LAUNCH_TEMPLATE_ID is required unless TASK_CREDENTIALS=true');
  }
  if (!instanceCredentials && !taskCredentials) {
    problems.push(
      'INSTANCE_CREDENTIALS=false needs TASK_CREDENTIALS=true, or no job could reach a private registry',
    );
  }
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
  const registrySecretPrefix = text('REGISTRY_SECRET_PREFIX', false) || DEFAULT_REGISTRY_SECRET_PREFIX;
  if (!/^[A-Za-z0-9/_+=.@-]{1,256}$/.test(registrySecretPrefix)) {
    problems.push('REGISTRY_SECRET_PREFIX must be 1-256 characters of A-Z a-z 0-9 / _ + = . @ -');
  }
  const executionRoleArn = text('EXECUTION_ROLE_ARN', false) || undefined;
  if (executionRoleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(executionRoleArn)) {
    problems.push('EXECUTION_ROLE_ARN must be an IAM role ARN');
  }
  const assignPublicIp = (text('ASSIGN_PUBLIC_IP', false) || 'DISABLED').toUpperCase();
  if (assignPublicIp !== 'ENABLED' && assignPublicIp !== 'DISABLED') {
    problems.push('ASSIGN_PUBLIC_IP must be "ENABLED" or "DISABLED"');
  }
  const defaultShareIdentifier = text('DEFAULT_SHARE_IDENTIFIER', false) || undefined;
  if (defaultShareIdentifier !== undefined && !/^[A-Za-z0-9]{1,255}$/.test(defaultShareIdentifier)) {
    problems.push('DEFAULT_SHARE_IDENTIFIER must be 1-255 letters and digits');
  }
  const stage = text('STAGE', false) || 'dev';
  if (!/^[A-Za-z0-9-]{1,32}$/.test(stage)) problems.push('STAGE must be 1-32 letters, digits and hyphens');
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
    registryDeadlineMs: int('REGISTRY_DEADLINE_MS', 6000, 100, 25000),
    stagingSecretArn: text('REGISTRY_STAGING_SECRET_ARN', false) || undefined,
    taskCredentials,
    instanceCredentials,
    registrySecretPrefix,
    executionRoleArn,
    assignPublicIp: assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    idempotencyTable: text('IDEMPOTENCY_TABLE', false) || undefined,
    adminPrincipals: list('ADMIN_PRINCIPALS', false),
    localCaller: text('BRG_LOCAL_CALLER', false) || undefined,
    eventBusName: text('EVENT_BUS_NAME', false) || 'default',
    defaultShareIdentifier,
    stage,
    convergenceTable: text('CONVERGENCE_TABLE', needs.includes('fleet')) || undefined,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
