import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { FARGATE_REASON, isComputeEnvironment } from './compute-environments';
import { type ComputeEnvironmentResult, isProblem, type RolloutSettings, type RolloutSummary } from './types';

/** Why an EC2 compute environment takes no launch template version in the hardened mode. */
export const INSTANCE_CREDENTIALS_OFF_REASON =
  'instance credentials are off (INSTANCE_CREDENTIALS=false): its instances read no registry secret; jobs get registry credentials per task';

/**
 * The fleet part of a rollout that configures no instances (SPEC §11): no launch template is
 * configured, or instance credentials are off. Each configured compute environment is reported
 * (pure): Fargate ones, and any in the hardened mode, as `not-applicable`; an EC2 one that would
 * need instance credentials but has no LAUNCH_TEMPLATE_ID to get them from is refused, and a
 * missing one failed — either blocks the rollout before anything changes. The result names no
 * launch template: none is involved.
 */
export function withoutInstances(
  settings: Pick<RolloutSettings, 'computeEnvironments' | 'instanceCredentials'>,
  described: readonly ComputeEnvironmentDetail[],
): { readonly kind: 'no-instances' | 'blocked'; readonly result: Omit<RolloutSummary, 'secretVersionId'> } {
  const computeEnvironments = settings.computeEnvironments.map(
    (computeEnvironment): ComputeEnvironmentResult => {
      const detail = described.find((candidate) => isComputeEnvironment(candidate, computeEnvironment));
      if (!detail)
        return { computeEnvironment, outcome: { kind: 'failed', reason: 'no such compute environment' } };
      const type = detail.computeResources?.type;
      if (type === 'FARGATE' || type === 'FARGATE_SPOT') {
        return { computeEnvironment, outcome: { kind: 'not-applicable', reason: FARGATE_REASON } };
      }
      if (!settings.instanceCredentials) {
        return {
          computeEnvironment,
          outcome: { kind: 'not-applicable', reason: INSTANCE_CREDENTIALS_OFF_REASON },
        };
      }
      return {
        computeEnvironment,
        outcome: {
          kind: 'refused',
          reason: 'no LAUNCH_TEMPLATE_ID is configured, so its instances cannot get the new credentials',
        },
      };
    },
  );
  const result = { createdLaunchTemplateVersion: false, computeEnvironments, prunedVersions: [] };
  return computeEnvironments.some(isProblem)
    ? { kind: 'blocked', result: { ...result, blocked: true } }
    : { kind: 'no-instances', result };
}
