import type { BatchClient, ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MetricsSink } from '../metrics';
import { versionWithStage } from '../registry/secret-store';
import {
  describeComputeEnvironments,
  FARGATE_REASON,
  isComputeEnvironment,
} from '../rollout/compute-environments';
import { INSTANCE_CREDENTIALS_OFF_REASON } from '../rollout/no-instances';
import { listCredentialSecrets } from '../task-credentials/list';
import { type Announcement, announceConvergence, convergedDetail } from './convergence';
import {
  type ComputeEnvironmentCounts,
  countComputeEnvironment,
  type FleetCounts,
  summariseFleet,
  type UncountedComputeEnvironment,
} from './counts';
import { countCredentialSecrets } from './credential-secrets';
import { readCluster } from './ecs';

export interface FleetReadDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly batch: BatchClient;
  readonly ecs: ECSClient;
}

export interface FleetSettings {
  readonly registrySecretArn: string;
  readonly computeEnvironments: readonly string[];
  /** INSTANCE_CREDENTIALS: false (the hardened mode) counts no instance, they hold no registry credentials. */
  readonly instanceCredentials: boolean;
  /** TASK_CREDENTIALS: the registry credential secrets must carry AWSCURRENT's version too. */
  readonly taskCredentials: boolean;
  /** REGISTRY_SECRET_PREFIX: where the registry credential secrets are. */
  readonly registrySecretPrefix: string;
}

/** Why a configured compute environment's instances hold no registry credentials, if they do not. */
function notApplicable(detail: ComputeEnvironmentDetail): string | undefined {
  const type = detail.computeResources?.type;
  if (type === 'FARGATE' || type === 'FARGATE_SPOT') return FARGATE_REASON;
  if (detail.containerOrchestrationType === 'EKS')
    return 'it runs on Amazon EKS: no ECS container instances to count';
  return undefined;
}

type CountOutcome =
  | { readonly kind: 'counted'; readonly counts: ComputeEnvironmentCounts }
  | { readonly kind: 'not-applicable' | 'skipped'; readonly entry: UncountedComputeEnvironment };

/** Counts one configured compute environment on its cluster, or says why it is not counted. */
async function countOne(
  ecs: ECSClient,
  name: string,
  detail: ComputeEnvironmentDetail | undefined,
  secretVersionId: string,
): Promise<CountOutcome> {
  if (!detail) return { kind: 'skipped', entry: { name, reason: 'no such compute environment' } };
  const reason = notApplicable(detail);
  if (reason !== undefined) return { kind: 'not-applicable', entry: { name, reason } };
  if (!detail.ecsClusterArn) return { kind: 'skipped', entry: { name, reason: 'it has no ECS cluster yet' } };
  const cluster = await readCluster(ecs, detail.ecsClusterArn);
  return {
    kind: 'counted',
    counts: countComputeEnvironment(
      detail.computeEnvironmentName ?? name,
      cluster.instanceArns,
      cluster.attributes,
      secretVersionId,
    ),
  };
}

/**
 * Counts the fleet's container instances by the secret version they loaded (SPEC §12), reading
 * only: DescribeSecret (AWSCURRENT's version); with instance credentials one
 * DescribeComputeEnvironments, then per EC2 compute environment, concurrently, ListAttributes and
 * ListContainerInstances (ACTIVE, DRAINING) on its ecsClusterArn, all pages; with task credentials
 * ListSecrets under the prefix, all pages. AWS calls grow with compute environments and pages,
 * never with instances. With instance credentials off (the hardened mode) every configured compute
 * environment is not applicable and neither Batch nor ECS is called. Throws when the secret has no
 * AWSCURRENT version or an AWS call fails.
 */
export async function countFleet(deps: FleetReadDeps, settings: FleetSettings): Promise<FleetCounts> {
  const [secret, described, found] = await Promise.all([
    deps.secretsManager.send(new DescribeSecretCommand({ SecretId: settings.registrySecretArn })),
    settings.instanceCredentials && settings.computeEnvironments.length > 0
      ? describeComputeEnvironments(deps.batch, settings.computeEnvironments)
      : Promise.resolve([]),
    settings.taskCredentials
      ? listCredentialSecrets(deps.secretsManager, settings.registrySecretPrefix)
      : Promise.resolve(undefined),
  ]);
  const secretVersionId = versionWithStage(secret.VersionIdsToStages, 'AWSCURRENT');
  if (!secret.ARN || !secretVersionId) {
    throw new Error(`Secret ${settings.registrySecretArn} has no AWSCURRENT version`);
  }
  const outcomes: CountOutcome[] = settings.instanceCredentials
    ? await Promise.all(
        settings.computeEnvironments.map((name) =>
          countOne(
            deps.ecs,
            name,
            described.find((candidate) => isComputeEnvironment(candidate, name)),
            secretVersionId,
          ),
        ),
      )
    : settings.computeEnvironments.map((name) => ({
        kind: 'not-applicable',
        entry: { name, reason: INSTANCE_CREDENTIALS_OFF_REASON },
      }));
  const uncounted = (kind: 'not-applicable' | 'skipped') =>
    outcomes.flatMap((outcome) => (outcome.kind === kind ? [outcome.entry] : []));
  return summariseFleet({
    secretArn: secret.ARN,
    secretVersionId,
    instanceCredentials: settings.instanceCredentials,
    computeEnvironments: outcomes.flatMap((outcome) => (outcome.kind === 'counted' ? [outcome.counts] : [])),
    notApplicable: uncounted('not-applicable'),
    skipped: uncounted('skipped'),
    ...(found
      ? { credentialSecrets: countCredentialSecrets(settings.registrySecretPrefix, found, secretVersionId) }
      : {}),
  });
}

export interface FleetReportDeps extends FleetReadDeps {
  readonly dynamodb: DynamoDBClient;
  readonly eventBridge: EventBridgeClient;
  readonly metrics: MetricsSink;
  readonly logger: { info(message: string, extra: Record<string, unknown>): void };
  readonly now: () => number;
}

export interface FleetReportSettings extends FleetSettings {
  readonly eventBusName: string;
  readonly convergenceTable: string;
}

export interface FleetReport extends FleetCounts {
  /** Set when the fleet converged: whether this run sent the event or an earlier one had. */
  readonly announcement?: Announcement;
}

/**
 * fleetReport (SPEC §12): counts the fleet; with instance credentials publishes InstancesCurrent /
 * InstancesStale / InstancesUnknown (one value each, totals) — in the hardened mode no instance is
 * measured, so none is published; when the fleet converged (every counted instance and, with task
 * credentials, every registry credential secret on AWSCURRENT's version) puts the "Registry
 * Credentials Converged" event, once per secret version (announceConvergence).
 */
export async function fleetReport(
  deps: FleetReportDeps,
  settings: FleetReportSettings,
): Promise<FleetReport> {
  const counts = await countFleet(deps, settings);
  if (counts.instanceCredentials) {
    deps.metrics.publish({
      InstancesCurrent: counts.current,
      InstancesStale: counts.stale,
      InstancesUnknown: counts.unknown,
    });
  }
  const announcement = counts.converged
    ? await announceConvergence(
        {
          dynamodb: deps.dynamodb,
          eventBridge: deps.eventBridge,
          table: settings.convergenceTable,
          eventBusName: settings.eventBusName,
          now: deps.now,
        },
        convergedDetail(counts),
      )
    : undefined;
  deps.logger.info('fleet report', {
    secretVersionId: counts.secretVersionId,
    instanceCredentials: counts.instanceCredentials,
    instances: counts.instances,
    current: counts.current,
    stale: counts.stale,
    unknown: counts.unknown,
    converged: counts.converged,
    ...(announcement ? { announcement } : {}),
    computeEnvironments: counts.computeEnvironments.map(({ name, current, stale, unknown }) => ({
      name,
      current,
      stale,
      unknown,
    })),
    notApplicable: counts.notApplicable,
    skipped: counts.skipped,
    ...(counts.credentialSecrets ? { credentialSecrets: counts.credentialSecrets } : {}),
  });
  return { ...counts, ...(announcement ? { announcement } : {}) };
}
