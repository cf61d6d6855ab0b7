import type { Logger } from '@aws-lambda-powertools/logger';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config';
import type { CredentialSecretResult } from '../task-credentials/sync';
import type { ComputeEnvironmentOutcome } from './compute-environments';
import type { CredentialVerifier } from './credentials';
import type { UserDataInput } from './user-data';

/** The configuration the rollout reads (SPEC §5). */
export type RolloutSettings = Pick<
  Config,
  | 'launchTemplateId'
  | 'computeEnvironments'
  | 'verifyCredentials'
  | 'updateTerminateJobs'
  | 'updateJobTimeoutMinutes'
  | 'keepLaunchTemplateVersions'
  | 'taskCredentials'
  | 'instanceCredentials'
  | 'registrySecretPrefix'
>;

/** Bounded exponential back-off while a compute environment is UPDATING. */
export interface BackoffSettings {
  /** How many times to re-check before giving up. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 2.5 minutes in all: 5, 10, 20, 40, 40, 40 seconds. */
export const DEFAULT_BACKOFF: BackoffSettings = { attempts: 6, initialDelayMs: 5000, maxDelayMs: 40000 };

/** Time a rollout keeps back from waiting, for its updates, pruning and summary. */
export const WAIT_RESERVE_MS = 60_000;

/** The structured logger, as far as the rollout and rotation use it. */
export type LogSink = Pick<Logger, 'info' | 'warn'>;

export interface RolloutDeps {
  readonly ec2: EC2Client;
  readonly batch: BatchClient;
  readonly secretsManager: SecretsManagerClient;
  readonly verifier: CredentialVerifier;
  readonly renderUserData: (input: UserDataInput) => string;
  readonly settings: RolloutSettings;
  readonly logger: LogSink;
  readonly sleep: (ms: number) => Promise<void>;
  readonly backoff?: BackoffSettings;
  /**
   * Time left in this invocation (Lambda's `getRemainingTimeInMillis`). When given, the wait for
   * an UPDATING compute environment lasts as long as the invocation allows (less a reserve for
   * the rest of the rollout), instead of `backoff.attempts` checks.
   */
  readonly remainingMs?: () => number;
}

/** What `supersededBy` may ask about the launch template, read when asked. */
export interface LaunchTemplateView {
  /** Whether a version of the launch template names this secret version (its description). */
  hasVersionFor(secretVersionId: string): Promise<boolean>;
}

/** The secret version to roll out. `secretArn` is the full ARN (the user data names it). */
export interface RolloutTarget {
  readonly secretArn: string;
  readonly secretVersionId: string;
  /**
   * Whether V is still the version to roll out: resolves undefined while it is, otherwise why
   * not (say, a rotation made a newer version current while this run waited on a registry or on
   * an UPDATING compute environment). Asked right before the launch template's default version
   * moves and before a compute environment is updated after a wait, so a stale run never moves
   * the fleet back to older credentials. The rollout passes a view of the launch template, so a
   * caller can count a version that another rollout already published as superseding V (a
   * rotation's pending version while finishSecret waits). Absent: V is always wanted.
   */
  readonly supersededBy?: (launchTemplate?: LaunchTemplateView) => Promise<string | undefined>;
}

export interface ComputeEnvironmentResult {
  readonly computeEnvironment: string;
  readonly outcome: ComputeEnvironmentOutcome;
}

export interface RolloutSummary {
  readonly secretVersionId: string;
  /**
   * The launch template and the version this rollout made the default (created or reused); when
   * it was blocked, the default it left unmoved. Absent when the rollout configures no instances
   * (no launch template, or INSTANCE_CREDENTIALS=false; SPEC §11): there is no version to name.
   */
  readonly launchTemplateId?: string;
  readonly launchTemplateVersion?: number;
  /** False when a version for this secret version already existed and was reused, or none applies. */
  readonly createdLaunchTemplateVersion: boolean;
  readonly computeEnvironments: readonly ComputeEnvironmentResult[];
  readonly prunedVersions: readonly number[];
  /**
   * Set when a compute environment that can never take the update (or does not exist) stopped the
   * rollout before anything changed: no credential secret, launch template or compute environment.
   */
  readonly blocked?: true;
  /** Set when V stopped being wanted mid-rollout: why. Nothing was moved after that point. */
  readonly superseded?: string;
  /** The registry credential secrets (SPEC §11), when TASK_CREDENTIALS=true. */
  readonly credentialSecrets?: readonly CredentialSecretResult[];
}

/** A compute environment result whose outcome makes the rollout incomplete. */
export type ProblemResult = ComputeEnvironmentResult & {
  readonly outcome: Extract<ComputeEnvironmentOutcome, { kind: 'refused' | 'failed' }>;
};

/** Whether a compute environment's outcome makes the rollout incomplete. */
export function isProblem(result: ComputeEnvironmentResult): result is ProblemResult {
  return result.outcome.kind === 'refused' || result.outcome.kind === 'failed';
}

/**
 * What failed, for people: the secret version, what the rollout did to the launch template (if it
 * has one), and each refused or failed compute environment with its reason.
 */
function rolloutErrorMessage(summary: RolloutSummary): string {
  const problems = summary.computeEnvironments
    .filter(isProblem)
    .map((result) => `${result.computeEnvironment} ${result.outcome.kind}: ${result.outcome.reason}`)
    .join('; ');
  const version = `Rollout of secret version ${summary.secretVersionId}`;
  const launchTemplate =
    summary.launchTemplateId !== undefined && summary.launchTemplateVersion !== undefined
      ? { id: summary.launchTemplateId, version: summary.launchTemplateVersion }
      : undefined;
  if (summary.blocked) {
    const unmoved = launchTemplate
      ? ` (launch template ${launchTemplate.id} stays on version ${launchTemplate.version})`
      : '';
    return `${version} changed nothing${unmoved}: ${problems}`;
  }
  const to = launchTemplate
    ? ` to launch template ${launchTemplate.id} version ${launchTemplate.version}`
    : '';
  return `${version}${to} is incomplete: ${problems}`;
}

/** At least one compute environment was refused or failed; the summary says which and why. */
export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  readonly summary: RolloutSummary;

  constructor(summary: RolloutSummary) {
    super(rolloutErrorMessage(summary));
    this.summary = summary;
  }
}
