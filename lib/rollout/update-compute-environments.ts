import { ClientException, type ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { describeError } from '../errors';
import {
  type ComputeEnvironmentOutcome,
  describeComputeEnvironments,
  isComputeEnvironment,
  type LaunchTemplateTarget,
  planComputeEnvironment,
  type UpdatePolicySettings,
  updateComputeEnvironment,
} from './compute-environments';
import { describeLaunchTemplate, hasVersionFor, type LaunchTemplateState } from './launch-template';
import {
  type ComputeEnvironmentResult,
  DEFAULT_BACKOFF,
  type RolloutDeps,
  type RolloutTarget,
  WAIT_RESERVE_MS,
} from './types';

/**
 * The configured compute environments that can never take this update (refused by
 * planComputeEnvironment, or missing), planned against a version that does not exist yet: the
 * rollout stops before anything changes when there is one.
 */
export function blockedComputeEnvironments(
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
 * Step 3 of the rollout (SPEC §6): moves every configured compute environment to the target
 * version, concurrently. One that fails does not stop the others; its outcome says why.
 */
export async function updateComputeEnvironments(
  deps: RolloutDeps,
  described: readonly ComputeEnvironmentDetail[],
  launchTarget: LaunchTemplateTarget,
  policy: UpdatePolicySettings,
  supersededBy: RolloutTarget['supersededBy'],
): Promise<ComputeEnvironmentResult[]> {
  const names = deps.settings.computeEnvironments;
  const settled = await Promise.allSettled(
    names.map((name) =>
      rollOutTo(
        deps,
        name,
        described.find((detail) => isComputeEnvironment(detail, name)),
        launchTarget,
        policy,
        supersededBy,
      ),
    ),
  );
  return settled.map((result, index) => ({
    computeEnvironment: names[index] ?? `entry ${index + 1}`,
    outcome:
      result.status === 'fulfilled' ? result.value : { kind: 'failed', reason: describeError(result.reason) },
  }));
}

/**
 * One compute environment: skip, refuse or update it, waiting with bounded back-off (or as long
 * as the invocation allows) while it is UPDATING.
 */
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
        // After a wait the world may have moved on: never update to a superseded version. The
        // launch template is read again, and only if supersededBy asks about it.
        const superseded =
          check > 0
            ? await supersededBy?.({
                hasVersionFor: async (secretVersionId) =>
                  hasVersionFor(
                    await describeLaunchTemplate(deps.ec2, target.launchTemplateId),
                    secretVersionId,
                  ),
              })
            : undefined;
        if (superseded) return { kind: 'skipped', reason: superseded };
        try {
          await updateComputeEnvironment(deps.batch, action.request);
          return { kind: 'updated' };
        } catch (error) {
          // An overlapping rollout (the function runs without reserved concurrency) updated it
          // first: Batch refuses an update while the compute environment is UPDATING. Look again
          // and plan from there: wait for it, or find it already on this version.
          if (!(error instanceof ClientException)) throw error;
          const [now] = await describeComputeEnvironments(deps.batch, [name]);
          if (now?.status !== 'UPDATING') throw error;
          detail = now;
          continue;
        }
      }
      case 'skip':
        return { kind: 'skipped', reason: action.reason };
      case 'not-applicable':
        return action;
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
