import {
  createLaunchTemplateVersion,
  defaultVersionOf,
  findVersionFor,
  hasVersionFor,
  type LaunchTemplateState,
  latestVersionOf,
  setDefaultVersion,
} from './launch-template';
import type { RolloutDeps, RolloutTarget } from './types';

/** The launch template version a rollout publishes, or why it stopped before publishing. */
export interface PublishedVersion {
  readonly versionNumber: number;
  /** False when a version for this secret version already existed and was reused. */
  readonly created: boolean;
  /** Set when V was superseded before anything changed: nothing was published. */
  readonly superseded?: string;
}

/**
 * Step 2 of the rollout (SPEC §6): reuses the newest version if it carries V, or creates one from
 * the latest version (which holds the stack's newest launch template data, also when a
 * CloudFormation update added it without moving the default) with the rendered user data; then
 * makes it the default. Asks `supersededBy` once,
 * right before the first change it would make.
 */
export async function publishVersion(
  deps: RolloutDeps,
  state: LaunchTemplateState,
  target: RolloutTarget,
): Promise<PublishedVersion> {
  const launchTemplateId = deps.settings.launchTemplateId;
  const existing = findVersionFor(state, target.secretVersionId);
  if (existing?.isDefault) return { versionNumber: existing.versionNumber, created: false };
  const superseded = await target.supersededBy?.({
    hasVersionFor: async (secretVersionId) => hasVersionFor(state, secretVersionId),
  });
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
      sourceVersion: latestVersionOf(state),
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
