import { readRegistrySecret, type SecretVersion } from '../registry/secret-store';
import { describeComputeEnvironments, type UpdatePolicySettings } from './compute-environments';
import { verifyRegistryCredentials } from './credentials';
import { defaultVersionOf, describeLaunchTemplate } from './launch-template';
import { pruneLaunchTemplateVersions } from './prune-versions';
import { publishVersion } from './publish-version';
import {
  isProblem,
  type LogSink,
  type RolloutDeps,
  RolloutError,
  type RolloutSummary,
  type RolloutTarget,
} from './types';
import { blockedComputeEnvironments, updateComputeEnvironments } from './update-compute-environments';

export {
  type BackoffSettings,
  type ComputeEnvironmentResult,
  DEFAULT_BACKOFF,
  type LogSink,
  type RolloutDeps,
  RolloutError,
  type RolloutSettings,
  type RolloutSummary,
  type RolloutTarget,
  WAIT_RESERVE_MS,
} from './types';

/** What the launch template and compute environment steps did (the summary without V). */
type FleetResult = Omit<RolloutSummary, 'secretVersionId'>;

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
  await verifiedSecret(deps, target);
  const fleet = await rollOutToFleet(deps, target);
  // Further steps that must succeed before the rollout reports success go here, after the
  // credentials were proved (step 1) and before the summary.
  return report(deps.logger, { secretVersionId: target.secretVersionId, ...fleet });
}

/** Step 1: reads and validates V and, unless VERIFY_CREDENTIALS=false, logs in to every registry. */
async function verifiedSecret(deps: RolloutDeps, target: RolloutTarget): Promise<SecretVersion> {
  const secret = await readRegistrySecret(deps.secretsManager, target.secretArn, {
    versionId: target.secretVersionId,
  });
  if (deps.settings.verifyCredentials) {
    await verifyRegistryCredentials(deps.verifier, secret.credentials);
  } else {
    deps.logger.warn('registry logins skipped (VERIFY_CREDENTIALS=false)', {
      secretVersionId: target.secretVersionId,
    });
  }
  return secret;
}

/**
 * Steps 2–4: the launch template version, the compute environments, pruning. A compute
 * environment that can never take the update stops this before anything changes, so the fleet is
 * never left half on the new version; a superseded V moves nothing further.
 */
async function rollOutToFleet(deps: RolloutDeps, target: RolloutTarget): Promise<FleetResult> {
  const { settings } = deps;
  const described = await describeComputeEnvironments(deps.batch, settings.computeEnvironments);
  const policy: UpdatePolicySettings = {
    terminateJobsOnUpdate: settings.updateTerminateJobs,
    jobExecutionTimeoutMinutes: settings.updateJobTimeoutMinutes,
  };
  const state = await describeLaunchTemplate(deps.ec2, settings.launchTemplateId);
  const blocked = blockedComputeEnvironments(settings.computeEnvironments, described, state, policy);
  if (blocked.length > 0) {
    const names = blocked.map((result) => result.computeEnvironment).join(', ');
    return {
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
  }

  const published = await publishVersion(deps, state, target);
  const launchTarget = {
    launchTemplateId: settings.launchTemplateId,
    launchTemplateName: state.launchTemplateName,
    versionNumber: published.versionNumber,
  };
  const fleet = {
    launchTemplateId: settings.launchTemplateId,
    launchTemplateVersion: published.versionNumber,
    createdLaunchTemplateVersion: published.created,
  };
  const { superseded } = published;
  if (superseded) {
    return {
      ...fleet,
      computeEnvironments: settings.computeEnvironments.map((computeEnvironment) => ({
        computeEnvironment,
        outcome: { kind: 'skipped', reason: superseded },
      })),
      prunedVersions: [],
      superseded,
    };
  }
  const computeEnvironments = await updateComputeEnvironments(
    deps,
    described,
    launchTarget,
    policy,
    target.supersededBy,
  );
  const prunedVersions = await pruneLaunchTemplateVersions(deps, launchTarget, described);
  return { ...fleet, computeEnvironments, prunedVersions };
}

/**
 * Step 5: logs the one summary line and returns the summary, or throws RolloutError when any
 * compute environment was refused or failed.
 */
function report(logger: LogSink, summary: RolloutSummary): RolloutSummary {
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
  if (summary.computeEnvironments.some(isProblem)) throw new RolloutError(summary);
  return summary;
}
