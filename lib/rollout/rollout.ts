import type { Logger } from '@aws-lambda-powertools/logger';
import type { BatchClient, ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config';
import { describeError } from '../errors';
import { readRegistrySecret } from '../registry/secret-store';
import {
  type ComputeEnvironmentOutcome,
  describeComputeEnvironments,
  isComputeEnvironment,
  type LaunchTemplateTarget,
  planComputeEnvironment,
  type UpdatePolicySettings,
  updateComputeEnvironment,
  versionsInUse,
} from './compute-environments';
import { type CredentialVerifier, verifyRegistryCredentials } from './credentials';
import {
  createLaunchTemplateVersion,
  defaultVersionOf,
  deleteLaunchTemplateVersions,
  describeLaunchTemplate,
  findVersionFor,
  type LaunchTemplateState,
  setDefaultVersion,
} from './launch-template';
import { planPrune, usesSymbolicVersion } from './prune';
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

/** Time a rollout keeps back from waiting, for its updates, pruning and summary. */
export const WAIT_RESERVE_MS = 60_000;

/** The secret version to roll out. `secretArn` is the full ARN (the user data names it). */
export interface RolloutTarget {
  readonly secretArn: string;
  readonly secretVersionId: string;
  /**
   * Whether V is still the version to roll out: resolves undefined while it is, otherwise why
   * not (say, a rotation made a newer version current while this run waited on a registry or on
   * an UPDATING compute environment). Asked right before the launch template's default version
   * moves and before a compute environment is updated after a wait, so a stale run never moves
   * the fleet back to older credentials. Absent: V is always wanted.
   */
  readonly supersededBy?: () => Promise<string | undefined>;
}

export interface ComputeEnvironmentResult {
  readonly computeEnvironment: string;
  readonly outcome: ComputeEnvironmentOutcome;
}

export interface RolloutSummary {
  readonly secretVersionId: string;
  readonly launchTemplateId: string;
  readonly launchTemplateVersion: number;
  /** False when a version for this secret version already existed and was reused. */
  readonly createdLaunchTemplateVersion: boolean;
  readonly computeEnvironments: readonly ComputeEnvironmentResult[];
  readonly prunedVersions: readonly number[];
  /** Set when V stopped being wanted mid-rollout: why. Nothing was moved after that point. */
  readonly superseded?: string;
}

/** At least one compute environment was refused or failed; the summary says which and why. */
export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  readonly summary: RolloutSummary;

  constructor(summary: RolloutSummary) {
    const problems = summary.computeEnvironments
      .filter((result) => result.outcome.kind === 'refused' || result.outcome.kind === 'failed')
      .map((result) => {
        const outcome = result.outcome;
        return `${result.computeEnvironment} ${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`;
      });
    super(
      `Rollout of secret version ${summary.secretVersionId} (launch template ${summary.launchTemplateId} version ${summary.launchTemplateVersion}) is incomplete: ${problems.join('; ')}`,
    );
    this.summary = summary;
  }
}

/**
 * Rolls secret version V out to the fleet (SPEC §6), idempotently:
 * 1. reads V (GetSecretValue by VersionId), validates it and, unless VERIFY_CREDENTIALS=false, logs
 *    in to every registry — a failure throws CredentialCheckError before anything changes;
 * 2. reuses the launch template version whose description names V, or creates it from the
 *    default version with the rendered user data and a ClientToken derived from V, then makes it
 *    the default;
 * 3. updates every configured compute environment to that version, concurrently;
 * 4. deletes old versions beyond KEEP_LAUNCH_TEMPLATE_VERSIONS (failures are warnings);
 * 5. logs one summary, and throws RolloutError if any compute environment was refused or failed,
 *    so the trigger retries (the retry reuses the version).
 * A run whose version was superseded (`target.supersededBy`) stops moving things and returns a
 * summary that says so, without error: the newer version's own rollout owns the fleet.
 */
export async function rollout(deps: RolloutDeps, target: RolloutTarget): Promise<RolloutSummary> {
  const { settings, logger } = deps;
  const { secretVersionId } = target;

  const secret = await readRegistrySecret(deps.secretsManager, target.secretArn, {
    versionId: secretVersionId,
  });
  if (settings.verifyCredentials) {
    await verifyRegistryCredentials(deps.verifier, secret.credentials);
  } else {
    logger.warn('registry logins skipped (VERIFY_CREDENTIALS=false)', { secretVersionId });
  }

  // Before anything changes: a compute environment that can never take the update stops the
  // rollout here, so the fleet is never left half on the new version.
  const described = await describeComputeEnvironments(deps.batch, settings.computeEnvironments);
  const policy: UpdatePolicySettings = {
    terminateJobsOnUpdate: settings.updateTerminateJobs,
    jobExecutionTimeoutMinutes: settings.updateJobTimeoutMinutes,
  };
  const state = await describeLaunchTemplate(deps.ec2, settings.launchTemplateId);
  const blocked = refusals(settings.computeEnvironments, described, state, policy);
  if (blocked.length > 0) {
    const names = blocked.map((result) => result.computeEnvironment).join(', ');
    const summary: RolloutSummary = {
      secretVersionId,
      launchTemplateId: settings.launchTemplateId,
      launchTemplateVersion: defaultVersionOf(state),
      createdLaunchTemplateVersion: false,
      computeEnvironments: settings.computeEnvironments.map(
        (computeEnvironment) =>
          blocked.find((result) => result.computeEnvironment === computeEnvironment) ?? {
            computeEnvironment,
            outcome: { kind: 'skipped', reason: `nothing changed while ${names} cannot take the update` },
          },
      ),
      prunedVersions: [],
    };
    logSummary(logger, summary);
    throw new RolloutError(summary);
  }
  const { versionNumber, created, superseded } = await publishVersion(deps, state, target);
  const launchTarget: LaunchTemplateTarget = {
    launchTemplateId: settings.launchTemplateId,
    launchTemplateName: state.launchTemplateName,
    versionNumber,
  };

  let computeEnvironments: ComputeEnvironmentResult[];
  let prunedVersions: number[] = [];
  if (superseded) {
    computeEnvironments = settings.computeEnvironments.map((computeEnvironment) => ({
      computeEnvironment,
      outcome: { kind: 'skipped', reason: superseded },
    }));
  } else {
    const settled = await Promise.allSettled(
      settings.computeEnvironments.map((name) =>
        rollOutTo(
          deps,
          name,
          described.find((detail) => isComputeEnvironment(detail, name)),
          launchTarget,
          policy,
          target.supersededBy,
        ),
      ),
    );
    computeEnvironments = settled.map((result, index) => ({
      computeEnvironment: settings.computeEnvironments[index] ?? `entry ${index + 1}`,
      outcome:
        result.status === 'fulfilled'
          ? result.value
          : { kind: 'failed', reason: describeError(result.reason) },
    }));
    prunedVersions = await prune(deps, launchTarget, described);
  }

  const summary: RolloutSummary = {
    secretVersionId,
    launchTemplateId: settings.launchTemplateId,
    launchTemplateVersion: versionNumber,
    createdLaunchTemplateVersion: created,
    computeEnvironments,
    prunedVersions,
    ...(superseded ? { superseded } : {}),
  };
  logSummary(logger, summary);
  if (
    computeEnvironments.some(
      (result) => result.outcome.kind === 'refused' || result.outcome.kind === 'failed',
    )
  ) {
    throw new RolloutError(summary);
  }
  return summary;
}

/** The one structured summary line of a rollout: identifiers and outcomes, nothing secret. */
function logSummary(logger: LogSink, summary: RolloutSummary): void {
  logger.info('rollout summary', {
    secretVersionId: summary.secretVersionId,
    ...(summary.superseded ? { superseded: summary.superseded } : {}),
    launchTemplateId: summary.launchTemplateId,
    launchTemplateVersion: summary.launchTemplateVersion,
    createdLaunchTemplateVersion: summary.createdLaunchTemplateVersion,
    computeEnvironments: summary.computeEnvironments.map((result) => ({
      computeEnvironment: result.computeEnvironment,
      ...result.outcome,
    })),
    prunedVersions: summary.prunedVersions,
  });
}

/**
 * The configured compute environments that can never take this update (refused by
 * planComputeEnvironment, or missing), planned against a version that does not exist yet.
 */
function refusals(
  names: readonly string[],
  described: readonly ComputeEnvironmentDetail[],
  state: LaunchTemplateState,
  policy: UpdatePolicySettings,
): ComputeEnvironmentResult[] {
  const provisional: LaunchTemplateTarget = {
    launchTemplateId: state.launchTemplateId,
    launchTemplateName: state.launchTemplateName,
    versionNumber: 0,
  };
  return names.flatMap((computeEnvironment): ComputeEnvironmentResult[] => {
    const detail = described.find((candidate) => isComputeEnvironment(candidate, computeEnvironment));
    if (!detail)
      return [{ computeEnvironment, outcome: { kind: 'failed', reason: 'no such compute environment' } }];
    const action = planComputeEnvironment(detail, provisional, policy);
    return action.kind === 'refuse'
      ? [{ computeEnvironment, outcome: { kind: 'refused', reason: action.reason } }]
      : [];
  });
}

/**
 * Reuses the newest version if it carries V, or creates one from the default; then makes it the
 * default. Asks `supersededBy` once, right before the first change it would make.
 */
async function publishVersion(
  deps: RolloutDeps,
  state: LaunchTemplateState,
  target: RolloutTarget,
): Promise<{ versionNumber: number; created: boolean; superseded?: string }> {
  const launchTemplateId = deps.settings.launchTemplateId;
  const existing = findVersionFor(state, target.secretVersionId);
  if (existing?.isDefault) return { versionNumber: existing.versionNumber, created: false };
  const superseded = await target.supersededBy?.();
  if (superseded)
    return { versionNumber: existing?.versionNumber ?? defaultVersionOf(state), created: false, superseded };

  let versionNumber: number;
  if (existing) {
    versionNumber = existing.versionNumber;
  } else {
    const userData = deps.renderUserData({
      secretArn: target.secretArn,
      secretVersion: { versionId: target.secretVersionId },
    });
    versionNumber = await createLaunchTemplateVersion(deps.ec2, {
      launchTemplateId,
      sourceVersion: defaultVersionOf(state),
      secretVersionId: target.secretVersionId,
      userData,
    });
    deps.logger.info('launch template version created', {
      launchTemplateId,
      launchTemplateVersion: versionNumber,
      secretVersionId: target.secretVersionId,
    });
  }
  await setDefaultVersion(deps.ec2, launchTemplateId, versionNumber);
  return { versionNumber, created: existing === undefined };
}

async function rollOutTo(
  deps: RolloutDeps,
  name: string,
  initial: ComputeEnvironmentDetail | undefined,
  target: LaunchTemplateTarget,
  policy: UpdatePolicySettings,
  supersededBy: RolloutTarget['supersededBy'],
): Promise<ComputeEnvironmentOutcome> {
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  let detail = initial;
  for (let check = 0; ; check += 1) {
    if (!detail) return { kind: 'failed', reason: 'no such compute environment' };
    const action = planComputeEnvironment(detail, target, policy);
    switch (action.kind) {
      case 'update': {
        // After a wait the world may have moved on: never update to a superseded version.
        const superseded = check > 0 ? await supersededBy?.() : undefined;
        if (superseded) return { kind: 'skipped', reason: superseded };
        await updateComputeEnvironment(deps.batch, action.request);
        return { kind: 'updated' };
      }
      case 'skip':
        return { kind: 'skipped', reason: action.reason };
      case 'refuse':
        return { kind: 'refused', reason: action.reason };
      case 'fail':
        return { kind: 'failed', reason: action.reason };
      case 'wait': {
        const delay = Math.min(backoff.initialDelayMs * 2 ** check, backoff.maxDelayMs);
        const outOfTime = deps.remainingMs
          ? deps.remainingMs() - delay < WAIT_RESERVE_MS
          : check >= backoff.attempts;
        if (outOfTime) {
          return { kind: 'failed', reason: `${action.reason} after ${check} checks; giving up for now` };
        }
        deps.logger.info('waiting for compute environment', {
          computeEnvironment: name,
          reason: action.reason,
          delayMs: delay,
        });
        await deps.sleep(delay);
        [detail] = await describeComputeEnvironments(deps.batch, [name]);
      }
    }
  }
}

async function prune(
  deps: RolloutDeps,
  target: LaunchTemplateTarget,
  describedBefore: readonly ComputeEnvironmentDetail[],
): Promise<number[]> {
  const launchTemplateId = target.launchTemplateId;
  try {
    // Every compute environment in the account counts, not just the configured ones; the
    // configured ones as described before their update, too (their instances still use it).
    const all = await describeComputeEnvironments(deps.batch);
    const inUse = versionsInUse([...describedBefore, ...all], target);
    if (usesSymbolicVersion(inUse)) {
      deps.logger.info(
        'pruning skipped: a compute environment uses $Default or $Latest of the launch template',
        {
          launchTemplateId,
        },
      );
      return [];
    }
    const state = await describeLaunchTemplate(deps.ec2, launchTemplateId);
    const doomed = planPrune({
      versions: state.versions,
      keep: deps.settings.keepLaunchTemplateVersions,
      rolledOut: target.versionNumber,
      inUse,
    });
    if (doomed.length === 0) return [];
    const { deleted, undeleted } = await deleteLaunchTemplateVersions(deps.ec2, launchTemplateId, doomed);
    for (const failure of undeleted) {
      deps.logger.warn('launch template version not deleted', {
        launchTemplateId,
        launchTemplateVersion: failure.versionNumber,
        code: failure.code,
        error: failure.message,
      });
    }
    return deleted.sort((a, b) => a - b);
  } catch (error) {
    deps.logger.warn('pruning launch template versions failed; the rollout itself succeeded', {
      launchTemplateId,
      error: describeError(error),
    });
    return [];
  }
}
