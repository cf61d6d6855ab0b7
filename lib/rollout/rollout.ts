import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { readRegistrySecret, type SecretVersion } from '../registry/secret-store';
import { describeComputeEnvironments, type UpdatePolicySettings } from './compute-environments';
import { verifyRegistryCredentials } from './credentials';
import { defaultVersionOf, describeLaunchTemplate, type LaunchTemplateState } from './launch-template';
import { withoutInstances } from './no-instances';
import { pruneLaunchTemplateVersions } from './prune-versions';
import { publishVersion } from './publish-version';
import { keepCredentialSecrets } from './task-credentials-step';
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
  type LaunchTemplateView,
  type LogSink,
  type RolloutDeps,
  RolloutError,
  type RolloutSettings,
  type RolloutSummary,
  type RolloutTarget,
  WAIT_RESERVE_MS,
} from './types';

/** What the launch template and compute environment steps did (the summary without V). */
type FleetResult = Omit<RolloutSummary, 'secretVersionId' | 'credentialSecrets'>;

/** The fleet as described before any change: go ahead, or stop (a compute environment that can never take the update). */
type FleetPlan =
  | {
      readonly kind: 'instances';
      readonly described: readonly ComputeEnvironmentDetail[];
      readonly state: LaunchTemplateState;
      readonly policy: UpdatePolicySettings;
    }
  | { readonly kind: 'no-instances' | 'blocked'; readonly result: FleetResult };

/**
 * Rolls secret version V out to the fleet (SPEC §6), idempotently:
 * 1. reads V (GetSecretValue by VersionId), validates it and, unless VERIFY_CREDENTIALS=false, logs
 *    in to every registry — a failure throws CredentialCheckError before anything changes;
 * 2. reuses the launch template version whose description names V, or creates it from the
 *    latest version with the rendered user data and a ClientToken derived from V, then makes it
 *    the default;
 * 3. updates every configured compute environment to that version, concurrently;
 * 4. deletes old versions beyond KEEP_LAUNCH_TEMPLATE_VERSIONS (failures are warnings);
 * with TASK_CREDENTIALS=true, between the refusal check and step 2, it also brings the registry
 * credential secrets to V (SPEC §11). Without a launch template, or with INSTANCE_CREDENTIALS=false,
 * steps 2–4 do not apply: the configured compute environments are described only to report them;
 * 5. logs one summary, and throws RolloutError if any compute environment was refused or failed,
 *    so the trigger retries (the retry reuses the version).
 * A run whose version was superseded (`target.supersededBy`) stops moving things and returns a
 * summary that says so, without error: the newer version's own rollout owns the fleet.
 */
export async function rollout(deps: RolloutDeps, target: RolloutTarget): Promise<RolloutSummary> {
  const secret = await verifiedSecret(deps, target);
  const plan = await planFleet(deps);
  if (plan.kind === 'blocked')
    return report(deps.logger, { secretVersionId: target.secretVersionId, ...plan.result });
  // After the credentials were proved and nothing refuses; before the fleet moves and before the
  // rollout reports success (so in finishSecret, before AWSCURRENT moves).
  const credentialSecrets = await keepCredentialSecrets(deps, target, secret);
  const fleet = plan.kind === 'instances' ? await rollOutToFleet(deps, target, plan) : plan.result;
  return report(deps.logger, {
    secretVersionId: target.secretVersionId,
    ...fleet,
    ...(credentialSecrets ? { credentialSecrets } : {}),
  });
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
 * Describes the fleet before anything changes. A compute environment that can never take the
 * update blocks the rollout, so the fleet is never left half on the new version.
 */
async function planFleet(deps: RolloutDeps): Promise<FleetPlan> {
  const { settings } = deps;
  const described = await describeComputeEnvironments(deps.batch, settings.computeEnvironments);
  if (!settings.instanceCredentials || settings.launchTemplateId === '') {
    return withoutInstances(settings, described);
  }
  const policy: UpdatePolicySettings = {
    terminateJobsOnUpdate: settings.updateTerminateJobs,
    jobExecutionTimeoutMinutes: settings.updateJobTimeoutMinutes,
  };
  const state = await describeLaunchTemplate(deps.ec2, settings.launchTemplateId);
  const blocked = blockedComputeEnvironments(settings.computeEnvironments, described, state, policy);
  if (blocked.length === 0) return { kind: 'instances', described, state, policy };
  const names = blocked.map((result) => result.computeEnvironment).join(', ');
  return {
    kind: 'blocked',
    result: {
      blocked: true,
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
    },
  };
}

/**
 * Steps 2–4: the launch template version, the compute environments, pruning. A superseded V
 * moves nothing further.
 */
async function rollOutToFleet(
  deps: RolloutDeps,
  target: RolloutTarget,
  { described, state, policy }: Extract<FleetPlan, { kind: 'instances' }>,
): Promise<FleetResult> {
  const { settings } = deps;
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
    ...(summary.blocked ? { blocked: true } : {}),
    ...(summary.superseded ? { superseded: summary.superseded } : {}),
    ...(summary.launchTemplateId !== undefined
      ? { launchTemplateId: summary.launchTemplateId, launchTemplateVersion: summary.launchTemplateVersion }
      : {}),
    createdLaunchTemplateVersion: summary.createdLaunchTemplateVersion,
    computeEnvironments: summary.computeEnvironments.map((result) => ({
      computeEnvironment: result.computeEnvironment,
      ...result.outcome,
    })),
    prunedVersions: summary.prunedVersions,
    ...(summary.credentialSecrets
      ? {
          credentialSecrets: summary.credentialSecrets.map((result) => ({
            registry: result.registry,
            outcome: result.outcome.kind,
          })),
        }
      : {}),
  });
  if (summary.computeEnvironments.some(isProblem)) throw new RolloutError(summary);
  return summary;
}
