import {
  type BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
  type LaunchTemplateSpecification,
  UpdateComputeEnvironmentCommand,
  type UpdateComputeEnvironmentCommandInput,
} from '@aws-sdk/client-batch';

/** The launch template version every compute environment should run. */
export interface LaunchTemplateTarget {
  readonly launchTemplateId: string;
  readonly launchTemplateName: string | undefined;
  readonly versionNumber: number;
}

/** Batch's update policy (SPEC §5: UPDATE_TERMINATE_JOBS, UPDATE_JOB_TIMEOUT_MINUTES). */
export interface UpdatePolicySettings {
  readonly terminateJobsOnUpdate: boolean;
  readonly jobExecutionTimeoutMinutes: number;
}

/** What happened to one compute environment in a rollout. */
export type ComputeEnvironmentOutcome =
  | { readonly kind: 'updated' }
  | { readonly kind: 'skipped'; readonly reason: string }
  /** No instances to configure (Fargate, or instance credentials off): registries are reached per task. */
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** What to do next with one compute environment, given its described state. */
export type ComputeEnvironmentAction =
  | { readonly kind: 'update'; readonly request: UpdateComputeEnvironmentCommandInput }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

/** Allocation strategies that allow an infrastructure update (AWS Batch user guide). */
export const UPDATABLE_ALLOCATION_STRATEGIES: ReadonlySet<string> = new Set([
  'BEST_FIT_PROGRESSIVE',
  'SPOT_CAPACITY_OPTIMIZED',
  'SPOT_PRICE_CAPACITY_OPTIMIZED',
]);

/** The AWS Batch service-linked role, the only service role that allows infrastructure updates. */
const SERVICE_LINKED_ROLE =
  /^arn:aws[a-z-]*:iam::\d{12}:role\/aws-service-role\/batch\.amazonaws\.com\/AWSServiceRoleForBatch$/;

/** Why a Fargate compute environment takes no launch template version. */
export const FARGATE_REASON =
  'it is a Fargate compute environment: no instances; jobs get registry credentials per task';

/** Whether a launch template specification (or override) points at the target's launch template. */
export function refersTo(
  spec: Pick<LaunchTemplateSpecification, 'launchTemplateId' | 'launchTemplateName'>,
  target: Pick<LaunchTemplateTarget, 'launchTemplateId' | 'launchTemplateName'>,
): boolean {
  if (spec.launchTemplateId !== undefined) return spec.launchTemplateId === target.launchTemplateId;
  return spec.launchTemplateName !== undefined && spec.launchTemplateName === target.launchTemplateName;
}

/**
 * Decides what to do with one compute environment (pure). Skips one already on the target
 * version; waits while it is UPDATING; refuses, with the reason, one that cannot take an
 * infrastructure update (unmanaged, Fargate or EKS, another or no launch template, a custom
 * service role, an allocation strategy other than the three that allow it); otherwise builds the
 * UpdateComputeEnvironment request with the explicit version, the launch template's overrides as
 * they are, and the update policy.
 */
export function planComputeEnvironment(
  detail: ComputeEnvironmentDetail,
  target: LaunchTemplateTarget,
  policy: UpdatePolicySettings,
): ComputeEnvironmentAction {
  const version = String(target.versionNumber);
  if (detail.status === 'DELETING' || detail.status === 'DELETED') {
    return { kind: 'fail', reason: `it is ${detail.status}` };
  }
  if (detail.type !== 'MANAGED') {
    return {
      kind: 'refuse',
      reason: 'it is not a managed compute environment; Batch does not manage its instances',
    };
  }
  const resources = detail.computeResources;
  if (resources?.type === 'FARGATE' || resources?.type === 'FARGATE_SPOT') {
    return { kind: 'not-applicable', reason: FARGATE_REASON };
  }
  if (!resources || (resources.type !== 'EC2' && resources.type !== 'SPOT')) {
    return {
      kind: 'refuse',
      reason: `its compute resources are ${resources?.type ?? 'missing'}; only EC2 and SPOT use launch templates`,
    };
  }
  if (detail.containerOrchestrationType === 'EKS' || detail.eksConfiguration !== undefined) {
    return { kind: 'refuse', reason: 'it runs on Amazon EKS; the ECS agent configuration does not apply' };
  }
  const current = resources.launchTemplate;
  if (!current) {
    return {
      kind: 'refuse',
      reason: `it has no launch template; configure launch template ${target.launchTemplateId} on it first`,
    };
  }
  if (!refersTo(current, target)) {
    return {
      kind: 'refuse',
      reason: `it uses launch template ${current.launchTemplateId ?? current.launchTemplateName}, not ${target.launchTemplateId}`,
    };
  }
  if (current.version === version) {
    return { kind: 'skip', reason: `it already uses launch template version ${version}` };
  }
  if (detail.status === 'UPDATING' || detail.status === 'CREATING') {
    return { kind: 'wait', reason: `it is ${detail.status}` };
  }
  if (detail.serviceRole !== undefined && !SERVICE_LINKED_ROLE.test(detail.serviceRole)) {
    return {
      kind: 'refuse',
      reason: `it uses service role ${detail.serviceRole}; infrastructure updates need the AWSServiceRoleForBatch service-linked role`,
    };
  }
  const strategy = resources.allocationStrategy ?? 'BEST_FIT';
  if (!UPDATABLE_ALLOCATION_STRATEGIES.has(strategy)) {
    return {
      kind: 'refuse',
      reason: `its allocation strategy is ${strategy}; infrastructure updates need BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED or SPOT_PRICE_CAPACITY_OPTIMIZED`,
    };
  }
  const launchTemplate: LaunchTemplateSpecification = {
    // Batch takes an id or a name, not both: keep the one the environment already uses.
    ...(current.launchTemplateId !== undefined
      ? { launchTemplateId: current.launchTemplateId }
      : { launchTemplateName: current.launchTemplateName }),
    version,
    // Leaving overrides out of an update would unset them. Overrides on this launch template move
    // to the new version too: their instances must read the same secret version.
    ...(current.overrides !== undefined
      ? {
          overrides: current.overrides.map((override) =>
            refersTo(override, target) ? { ...override, version } : override,
          ),
        }
      : {}),
    ...(current.userdataType !== undefined ? { userdataType: current.userdataType } : {}),
  };
  return {
    kind: 'update',
    request: {
      computeEnvironment: detail.computeEnvironmentArn ?? detail.computeEnvironmentName,
      computeResources: { launchTemplate },
      updatePolicy: {
        terminateJobsOnUpdate: policy.terminateJobsOnUpdate,
        jobExecutionTimeoutMinutes: policy.jobExecutionTimeoutMinutes,
      },
    },
  };
}

/**
 * The launch template versions (of the target's launch template) that these compute environments
 * use, main template and overrides. `$Default` and `$Latest` are returned as they are.
 */
export function versionsInUse(
  details: readonly ComputeEnvironmentDetail[],
  target: Pick<LaunchTemplateTarget, 'launchTemplateId' | 'launchTemplateName'>,
): Set<string> {
  const used = new Set<string>();
  for (const detail of details) {
    const spec = detail.computeResources?.launchTemplate;
    if (!spec) continue;
    if (refersTo(spec, target)) used.add(spec.version ?? '$Default');
    for (const override of spec.overrides ?? []) {
      if (refersTo(override, target)) used.add(override.version ?? '$Default');
    }
  }
  return used;
}

/** Whether a described environment is the one configured as `nameOrArn`. */
export function isComputeEnvironment(detail: ComputeEnvironmentDetail, nameOrArn: string): boolean {
  return detail.computeEnvironmentName === nameOrArn || detail.computeEnvironmentArn === nameOrArn;
}

/**
 * Describes compute environments by name or ARN (DescribeComputeEnvironments, 100 per call);
 * with no names, every compute environment in the account and Region (paginated).
 */
export async function describeComputeEnvironments(
  batch: BatchClient,
  namesOrArns?: readonly string[],
): Promise<ComputeEnvironmentDetail[]> {
  const details: ComputeEnvironmentDetail[] = [];
  const chunks: (string[] | undefined)[] = [];
  if (namesOrArns === undefined) chunks.push(undefined);
  else for (let i = 0; i < namesOrArns.length; i += 100) chunks.push(namesOrArns.slice(i, i + 100));
  for (const chunk of chunks) {
    let nextToken: string | undefined;
    do {
      const page = await batch.send(
        new DescribeComputeEnvironmentsCommand({ computeEnvironments: chunk, nextToken }),
      );
      details.push(...(page.computeEnvironments ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return details;
}

/** Starts the infrastructure update (UpdateComputeEnvironment). Batch replaces instances asynchronously. */
export async function updateComputeEnvironment(
  batch: BatchClient,
  request: UpdateComputeEnvironmentCommandInput,
): Promise<void> {
  await batch.send(new UpdateComputeEnvironmentCommand(request));
}
