import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { FleetCounts } from '../fleet/counts';
import { countFleet } from '../fleet/report';
import { describeComputeEnvironments, isComputeEnvironment } from '../rollout/compute-environments';
import { describeLaunchTemplate, versionDescriptionFor } from '../rollout/launch-template';
import { listCredentialSecrets } from '../task-credentials/list';
import { REGISTRY_TAG, SOURCE_VERSION_TAG } from '../task-credentials/plan';
import type { CliClients, StackRefs } from './context';
import { type CommandResult, section, table } from './output';

const DESCRIPTION_PREFIX = versionDescriptionFor('');

/** What `status` says about the instances in the hardened mode, where none is counted. */
export const INSTANCES_NOT_APPLICABLE =
  'not applicable: instance credentials are off (instanceCredentials=false), instances read no registry secret; jobs get registry credentials per task';

/** The secret version a launch template version's description names (the rollout writes it), if any. */
export function secretVersionNamedBy(description: string | undefined): string | undefined {
  return description?.startsWith(DESCRIPTION_PREFIX)
    ? description.slice(DESCRIPTION_PREFIX.length)
    : undefined;
}

/** One configured compute environment's instances as fleetReport counted them, or why it did not. */
function instancesOf(fleet: FleetCounts, configured: string, described: string | undefined) {
  const counts = fleet.computeEnvironments.find((entry) => entry.name === described);
  if (counts) {
    const { current, stale, unknown, versions } = counts;
    return { instances: 'counted', current, stale, unknown, versions };
  }
  const notApplicable = fleet.notApplicable.find((entry) => entry.name === configured);
  const skipped = fleet.skipped.find((entry) => entry.name === configured);
  return {
    instances: notApplicable ? 'not-applicable' : 'not-counted',
    reason: notApplicable?.reason ?? skipped?.reason ?? 'not counted',
    current: null,
    stale: null,
    unknown: null,
    versions: {},
  };
}

type ComputeEnvironmentRow = {
  name: string;
  state: string;
  status: string;
  launchTemplateVersion: string | null;
} & ReturnType<typeof instancesOf>;

/**
 * The compute environments for people. In the hardened mode there is nothing to count: one column
 * says so (the summary says why). Otherwise the counts, `-` and a line with the reason for one
 * that was not counted (Fargate, EKS, missing).
 */
function computeEnvironmentTable(
  rows: readonly ComputeEnvironmentRow[],
  instanceCredentials: boolean,
): string {
  if (!instanceCredentials) {
    return table(
      ['name', 'state', 'status', 'instances'],
      rows.map((ce) => [ce.name, ce.state, ce.status, 'not applicable']),
    );
  }
  const notCounted = rows.flatMap((ce) =>
    'reason' in ce
      ? [`${ce.name}: ${ce.instances === 'not-applicable' ? 'not applicable' : 'not counted'}, ${ce.reason}`]
      : [],
  );
  return [
    table(
      ['name', 'state', 'status', 'template version', 'current', 'stale', 'unknown'],
      rows.map((ce) => [
        ce.name,
        ce.state,
        ce.status,
        ce.launchTemplateVersion ?? '-',
        ce.current ?? '-',
        ce.stale ?? '-',
        ce.unknown ?? '-',
      ]),
    ),
    ...notCounted,
  ].join('\n');
}

/**
 * `status` (SPEC §12): the secret's versions and stages, the launch template's default version and
 * the secret version it names, each compute environment's version and state, instance counts per
 * version and the registry credential secrets by version (the same counting as fleetReport). Reads
 * only. Problems: no AWSCURRENT; with instance credentials, a default version that does not name
 * it, a compute environment on another version, stale or unknown instances; with task credentials,
 * a registry credential secret that does not carry AWSCURRENT's version. In the hardened mode the
 * launch template carries no credentials and the instances are not applicable: neither is a problem.
 */
export async function status(clients: CliClients, refs: StackRefs): Promise<CommandResult> {
  const problems: string[] = [];
  const [secret, launchTemplate, described, fleet, credentialSecrets] = await Promise.all([
    clients.secretsManager.send(new DescribeSecretCommand({ SecretId: refs.secretArn })),
    refs.launchTemplateId ? describeLaunchTemplate(clients.ec2, refs.launchTemplateId) : undefined,
    refs.computeEnvironments.length > 0
      ? describeComputeEnvironments(clients.batch, refs.computeEnvironments)
      : Promise.resolve([]),
    countFleet(clients, {
      registrySecretArn: refs.secretArn,
      computeEnvironments: refs.computeEnvironments,
      instanceCredentials: refs.instanceCredentials,
      taskCredentials: refs.taskCredentials,
      registrySecretPrefix: refs.registrySecretPrefix,
    }),
    listCredentialSecrets(clients.secretsManager, refs.registrySecretPrefix),
  ]);
  const versions = Object.entries(secret.VersionIdsToStages ?? {}).map(([versionId, stages]) => ({
    versionId,
    stages,
  }));
  const current = versions.find((version) => version.stages.includes('AWSCURRENT'))?.versionId;
  const defaultVersion = launchTemplate?.versions.find((version) => version.isDefault);
  const launchTemplateData = launchTemplate
    ? {
        id: launchTemplate.launchTemplateId,
        defaultVersion: defaultVersion?.versionNumber,
        secretVersionId: secretVersionNamedBy(defaultVersion?.description) ?? null,
      }
    : null;
  // In the hardened mode the rollout publishes no launch template version: nothing to compare.
  const instanceCredentials = refs.instanceCredentials;
  if (instanceCredentials && launchTemplateData && launchTemplateData.secretVersionId !== current) {
    problems.push(
      `launch template ${launchTemplateData.id} default version ${launchTemplateData.defaultVersion} does not name AWSCURRENT ${current}: run a rollout (plan shows what it would change)`,
    );
  }
  const computeEnvironments = refs.computeEnvironments.map((name): ComputeEnvironmentRow => {
    const detail = described.find((candidate) => isComputeEnvironment(candidate, name));
    const version = detail?.computeResources?.launchTemplate?.version ?? null;
    if (
      instanceCredentials &&
      launchTemplateData &&
      version !== null &&
      version !== '$Default' &&
      version !== String(launchTemplateData.defaultVersion)
    ) {
      problems.push(`compute environment ${name} uses launch template version ${version}, not the default`);
    }
    return {
      name: detail?.computeEnvironmentName ?? name,
      state: detail?.state ?? 'MISSING',
      status: detail?.status ?? 'MISSING',
      launchTemplateVersion: version,
      ...instancesOf(fleet, name, detail?.computeEnvironmentName),
    };
  });
  if (fleet.stale + fleet.unknown > 0) {
    problems.push(
      `${fleet.stale} stale and ${fleet.unknown} unknown instances: keep the old credentials until they are replaced`,
    );
  }
  const behind = fleet.credentialSecrets?.stale ?? [];
  if (behind.length > 0) {
    problems.push(
      `registry credential secrets ${behind.join(', ')} do not carry AWSCURRENT ${current} yet: a rollout of it has not written them (onSecretChanged's log says why); keep the old credentials until it has`,
    );
  }
  const registrySecrets = credentialSecrets.map((entry) => ({
    name: entry.name,
    registry: entry.tags[REGISTRY_TAG] ?? null,
    sourceVersion: entry.tags[SOURCE_VERSION_TAG] ?? null,
    scheduledForDeletion: entry.scheduledForDeletion,
  }));
  const data = {
    stack: refs.name,
    secret: { arn: secret.ARN ?? refs.secretArn, versions },
    launchTemplate: launchTemplateData,
    computeEnvironments,
    instances: instanceCredentials
      ? {
          total: fleet.instances,
          current: fleet.current,
          stale: fleet.stale,
          unknown: fleet.unknown,
          converged: fleet.converged,
        }
      : { notApplicable: INSTANCES_NOT_APPLICABLE, converged: fleet.converged },
    registryCredentialSecrets: registrySecrets,
  };
  const convergence = fleet.converged
    ? `Converged on ${fleet.secretVersionId}: yes, older credentials may be revoked`
    : `Converged on ${fleet.secretVersionId}: no, keep the older credentials`;
  const summary = [
    instanceCredentials
      ? `Instances: ${fleet.instances} (${fleet.current} current, ${fleet.stale} stale, ${fleet.unknown} unknown)`
      : `Instances: ${INSTANCES_NOT_APPLICABLE}`,
    ...(fleet.credentialSecrets
      ? [
          `Registry credential secrets on AWSCURRENT: ${fleet.credentialSecrets.current} of ${fleet.credentialSecrets.current + behind.length}`,
        ]
      : []),
    convergence,
  ];
  const text = [
    section(
      `Secret ${data.secret.arn}`,
      table(
        ['version', 'stages'],
        versions.map((v) => [v.versionId, v.stages.join(', ')]),
      ),
    ),
    section(
      'Launch template',
      launchTemplateData
        ? `${table(
            ['id', 'default version', 'secret version'],
            [
              [
                launchTemplateData.id,
                launchTemplateData.defaultVersion ?? '-',
                launchTemplateData.secretVersionId ?? '-',
              ],
            ],
          )}${instanceCredentials ? '' : '\n(carries no credentials: instance credentials are off)'}`
        : '(none: a rollout without instances)',
    ),
    section('Compute environments', computeEnvironmentTable(computeEnvironments, instanceCredentials)),
    summary.join('\n'),
    section(
      'Registry credential secrets',
      registrySecrets.length > 0
        ? table(
            ['name', 'registry', 'source version', 'scheduled for deletion'],
            registrySecrets.map((s) => [
              s.name,
              s.registry ?? '-',
              s.sourceVersion ?? '-',
              s.scheduledForDeletion ? 'yes' : 'no',
            ]),
          )
        : '(none)',
    ),
  ].join('\n\n');
  return { data, text, problems };
}
