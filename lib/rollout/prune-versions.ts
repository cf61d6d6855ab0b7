import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { describeError } from '../errors';
import {
  describeComputeEnvironments,
  type LaunchTemplateTarget,
  versionsInUse,
} from './compute-environments';
import { deleteLaunchTemplateVersions, describeLaunchTemplate } from './launch-template';
import { planPrune, usesSymbolicVersion } from './prune';
import type { RolloutDeps } from './types';

/**
 * Step 4 of the rollout (SPEC §6): deletes launch template versions beyond
 * KEEP_LAUNCH_TEMPLATE_VERSIONS (planPrune decides which). Never throws: the rollout has already
 * succeeded, so a failure is a warning and nothing is deleted. Returns the deleted versions.
 */
export async function pruneLaunchTemplateVersions(
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
