import type { BatchClient, ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MetricsSink } from '../metrics';
import { versionWithStage } from '../registry/secret-store';
import { describeComputeEnvironments, isComputeEnvironment } from '../rollout/compute-environments';
import { type Announcement, announceConvergence, convergedDetail } from './convergence';
import {
  type ComputeEnvironmentCounts,
  countComputeEnvironment,
  type FleetCounts,
  summariseFleet,
} from './counts';
import { readCluster } from './ecs';

export interface FleetReadDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly batch: BatchClient;
  readonly ecs: ECSClient;
}

export interface FleetSettings {
  readonly registrySecretArn: string;
  readonly computeEnvironments: readonly string[];
}

/** Why a configured compute environment has no instances to count, or undefined when it has a cluster. */
function notCounted(detail: ComputeEnvironmentDetail | undefined): string | undefined {
  if (!detail) return 'no such compute environment';
  const type = detail.computeResources?.type;
  if (type === 'FARGATE' || type === 'FARGATE_SPOT') return `not applicable: ${type} has no instances`;
  if (detail.containerOrchestrationType === 'EKS') return 'not applicable: it runs on Amazon EKS';
  if (!detail.ecsClusterArn) return 'it has no ECS cluster yet';
  return undefined;
}

/**
 * Counts the fleet's container instances by the secret version they loaded (SPEC §12), reading
 * only: DescribeSecret (AWSCURRENT's version), one DescribeComputeEnvironments, then per EC2
 * compute environment, concurrently, ListAttributes and ListContainerInstances (ACTIVE, DRAINING)
 * on its ecsClusterArn, all pages. AWS calls grow with compute environments and pages, never with
 * instances. Throws when the secret has no AWSCURRENT version or an AWS call fails.
 */
export async function countFleet(deps: FleetReadDeps, settings: FleetSettings): Promise<FleetCounts> {
  const [secret, described] = await Promise.all([
    deps.secretsManager.send(new DescribeSecretCommand({ SecretId: settings.registrySecretArn })),
    settings.computeEnvironments.length > 0
      ? describeComputeEnvironments(deps.batch, settings.computeEnvironments)
      : Promise.resolve([]),
  ]);
  const secretVersionId = versionWithStage(secret.VersionIdsToStages, 'AWSCURRENT');
  if (!secret.ARN || !secretVersionId) {
    throw new Error(`Secret ${settings.registrySecretArn} has no AWSCURRENT version`);
  }
  const skipped: { name: string; reason: string }[] = [];
  const counted = await Promise.all(
    settings.computeEnvironments.map(async (name): Promise<ComputeEnvironmentCounts | undefined> => {
      const detail = described.find((candidate) => isComputeEnvironment(candidate, name));
      const reason = notCounted(detail);
      if (reason !== undefined || !detail?.ecsClusterArn) {
        skipped.push({ name, reason: reason ?? 'it has no ECS cluster yet' });
        return undefined;
      }
      const cluster = await readCluster(deps.ecs, detail.ecsClusterArn);
      return countComputeEnvironment(
        detail.computeEnvironmentName ?? name,
        cluster.instanceArns,
        cluster.attributes,
        secretVersionId,
      );
    }),
  );
  return summariseFleet(
    secret.ARN,
    secretVersionId,
    counted.filter((counts): counts is ComputeEnvironmentCounts => counts !== undefined),
    skipped,
  );
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
 * fleetReport (SPEC §12): counts the fleet, publishes InstancesCurrent / InstancesStale /
 * InstancesUnknown (one value each, totals), and when every instance is current puts the
 * "Registry Credentials Converged" event, once per secret version (announceConvergence).
 */
export async function fleetReport(
  deps: FleetReportDeps,
  settings: FleetReportSettings,
): Promise<FleetReport> {
  const counts = await countFleet(deps, settings);
  deps.metrics.publish({
    InstancesCurrent: counts.current,
    InstancesStale: counts.stale,
    InstancesUnknown: counts.unknown,
  });
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
    skipped: counts.skipped,
  });
  return { ...counts, ...(announcement ? { announcement } : {}) };
}
