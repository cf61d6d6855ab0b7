import { DescribeSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { countFleet } from '../fleet/report';
import { describeComputeEnvironments, isComputeEnvironment } from '../rollout/compute-environments';
import { describeLaunchTemplate, versionDescriptionFor } from '../rollout/launch-template';
import type { CliClients, StackRefs } from './context';
import { type CommandResult, section, table } from './output';

const DESCRIPTION_PREFIX = versionDescriptionFor('');

/** The secret version a launch template version's description names (the rollout writes it), if any. */
export function secretVersionNamedBy(description: string | undefined): string | undefined {
  return description?.startsWith(DESCRIPTION_PREFIX)
    ? description.slice(DESCRIPTION_PREFIX.length)
    : undefined;
}

/**
 * `status` (SPEC §12): the secret's versions and stages, the launch template's default version and
 * the secret version it names, each compute environment's version and state, instance counts per
 * version (the same counting as fleetReport) and the registry credential secrets. Reads only.
 * Problems: no AWSCURRENT, a default version that does not name it, a compute environment on
 * another version, stale or unknown instances.
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
    clients.secretsManager.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [refs.registrySecretPrefix] }],
        IncludePlannedDeletion: true,
        MaxResults: 100,
      }),
    ),
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
  if (launchTemplateData && launchTemplateData.secretVersionId !== current) {
    problems.push(
      `launch template ${launchTemplateData.id} default version ${launchTemplateData.defaultVersion} does not name AWSCURRENT ${current}: run a rollout (plan shows what it would change)`,
    );
  }
  const computeEnvironments = refs.computeEnvironments.map((name) => {
    const detail = described.find((candidate) => isComputeEnvironment(candidate, name));
    const counts = fleet.computeEnvironments.find((entry) => entry.name === detail?.computeEnvironmentName);
    const version = detail?.computeResources?.launchTemplate?.version ?? null;
    if (
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
      current: counts?.current ?? 0,
      stale: counts?.stale ?? 0,
      unknown: counts?.unknown ?? 0,
      versions: counts?.versions ?? {},
    };
  });
  if (fleet.stale + fleet.unknown > 0) {
    problems.push(
      `${fleet.stale} stale and ${fleet.unknown} unknown instances: keep the old credentials until they are replaced`,
    );
  }
  const registrySecrets = (credentialSecrets.SecretList ?? []).map((entry) => ({
    name: entry.Name ?? '',
    registry: entry.Tags?.find((tag) => tag.Key === 'batch-registry-gateway:registry')?.Value ?? null,
    sourceVersion:
      entry.Tags?.find((tag) => tag.Key === 'batch-registry-gateway:source-version')?.Value ?? null,
    scheduledForDeletion: entry.DeletedDate !== undefined,
  }));
  const data = {
    stack: refs.name,
    secret: { arn: secret.ARN ?? refs.secretArn, versions },
    launchTemplate: launchTemplateData,
    computeEnvironments,
    instances: {
      total: fleet.instances,
      current: fleet.current,
      stale: fleet.stale,
      unknown: fleet.unknown,
      converged: fleet.converged,
    },
    registryCredentialSecrets: registrySecrets,
  };
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
        ? table(
            ['id', 'default version', 'secret version'],
            [
              [
                launchTemplateData.id,
                launchTemplateData.defaultVersion ?? '-',
                launchTemplateData.secretVersionId ?? '-',
              ],
            ],
          )
        : '(none: a rollout without instances)',
    ),
    section(
      'Compute environments',
      table(
        ['name', 'state', 'status', 'template version', 'current', 'stale', 'unknown'],
        computeEnvironments.map((ce) => [
          ce.name,
          ce.state,
          ce.status,
          ce.launchTemplateVersion ?? '-',
          ce.current,
          ce.stale,
          ce.unknown,
        ]),
      ),
    ),
    `Instances: ${fleet.instances} (${fleet.current} current, ${fleet.stale} stale, ${fleet.unknown} unknown)${fleet.converged ? ', converged' : ''}`,
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
