import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { versionWithStage } from '../registry/secret-store';
import {
  describeComputeEnvironments,
  isComputeEnvironment,
  type LaunchTemplateTarget,
  planComputeEnvironment,
  versionsInUse,
} from '../rollout/compute-environments';
import { describeLaunchTemplate, findVersionFor } from '../rollout/launch-template';
import { planPrune } from '../rollout/prune';
import type { CliClients, StackRefs } from './context';
import { type CommandResult, section, table } from './output';

/** Batch's update policy and the pruning bound as the stack's defaults (SPEC §5); the plan's actions do not depend on them. */
const POLICY = { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 };
const KEEP_VERSIONS = 10;

/**
 * `plan` (SPEC §12): what a rollout of AWSCURRENT would change, with the rollout's own planning
 * (findVersionFor, planComputeEnvironment, planPrune). Reads only: Describe calls, no write.
 * Without a launch template, or with instance credentials off, the rollout moves no instance.
 * A compute environment the rollout would refuse, or fail on, is a problem (exit 1).
 */
export async function plan(clients: CliClients, refs: StackRefs): Promise<CommandResult> {
  const secret = await clients.secretsManager.send(new DescribeSecretCommand({ SecretId: refs.secretArn }));
  const secretVersionId = versionWithStage(secret.VersionIdsToStages, 'AWSCURRENT');
  if (!secretVersionId) {
    return {
      data: { secretVersionId: null },
      text: 'The secret has no AWSCURRENT version.',
      problems: ['no AWSCURRENT version'],
    };
  }
  if (!refs.launchTemplateId || !refs.instanceCredentials) {
    const why = refs.instanceCredentials
      ? 'no launch template'
      : 'instance credentials are off: no launch template version, no compute environment update';
    const text = `A rollout of ${secretVersionId} would verify the credentials and sync the registry credential secrets only (${why}).`;
    return {
      data: { secretVersionId, launchTemplate: null, computeEnvironments: [], prune: [] },
      text,
      problems: [],
    };
  }
  const [state, described, all] = await Promise.all([
    describeLaunchTemplate(clients.ec2, refs.launchTemplateId),
    describeComputeEnvironments(clients.batch, refs.computeEnvironments),
    describeComputeEnvironments(clients.batch),
  ]);
  const existing = findVersionFor(state, secretVersionId);
  const defaultVersion = state.versions.find((version) => version.isDefault)?.versionNumber;
  const versionNumber = existing?.versionNumber ?? (state.versions[0]?.versionNumber ?? 0) + 1;
  const launchTemplate = {
    id: state.launchTemplateId,
    version: versionNumber,
    action: existing?.isDefault ? 'none' : existing ? 'make-default' : 'create',
    description: existing?.isDefault
      ? `version ${versionNumber} already carries ${secretVersionId} and is the default`
      : existing
        ? `make version ${versionNumber} (already carries ${secretVersionId}) the default`
        : `create version ${versionNumber} from default version ${defaultVersion} with user data for ${secretVersionId}, and make it the default`,
  };
  const target: LaunchTemplateTarget = {
    launchTemplateId: state.launchTemplateId,
    launchTemplateName: state.launchTemplateName,
    versionNumber,
  };
  const computeEnvironments = refs.computeEnvironments.map((name) => {
    const detail = described.find((candidate) => isComputeEnvironment(candidate, name));
    if (!detail) return { name, action: 'fail', reason: 'no such compute environment' };
    const action = planComputeEnvironment(detail, target, POLICY);
    return {
      name: detail.computeEnvironmentName ?? name,
      action: action.kind,
      reason: action.kind === 'update' ? `update to launch template version ${versionNumber}` : action.reason,
    };
  });
  const prune = planPrune({
    versions: existing
      ? state.versions
      : [{ versionNumber, description: undefined, isDefault: true }, ...state.versions],
    keep: KEEP_VERSIONS,
    rolledOut: versionNumber,
    inUse: versionsInUse([...described, ...all], target),
  });
  const problems = computeEnvironments
    .filter((ce) => ce.action === 'refuse' || ce.action === 'fail')
    .map((ce) => `${ce.name}: ${ce.reason}`);
  const text = [
    `A rollout of secret version ${secretVersionId} would:`,
    section('Launch template', table(['id', 'action'], [[launchTemplate.id, launchTemplate.description]])),
    section(
      'Compute environments',
      table(
        ['name', 'action', 'why'],
        computeEnvironments.map((ce) => [ce.name, ce.action, ce.reason]),
      ),
    ),
    prune.length > 0
      ? `Delete launch template versions ${prune.join(', ')} (beyond the newest ${KEEP_VERSIONS}).`
      : 'Delete no launch template version.',
    ...(problems.length > 0
      ? ['The rollout would stop before changing anything: a compute environment cannot take the update.']
      : []),
  ].join('\n\n');
  return { data: { secretVersionId, launchTemplate, computeEnvironments, prune }, text, problems };
}
