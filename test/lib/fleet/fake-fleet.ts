import {
  BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
} from '@aws-sdk/client-batch';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type ContainerInstanceStatus,
  ECSClient,
  ListAttributesCommand,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  type SecretListEntry,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_VERSION_ATTRIBUTE } from '../../../lib/fleet/counts';
import { type FleetReportSettings, fleetReport } from '../../../lib/fleet/report';
import type { MetricValues } from '../../../lib/metrics';

export const ACCOUNT = '123456789012';
export const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:batch-registry-credentials-AbC123`;
export const CURRENT = 'c0ffee00-1111-2222-3333-444455556666';
export const OLD = 'deadbeef-1111-2222-3333-444455556666';
export const PREFIX = 'batch-registry-gateway/test/registry/';

export const ecsMock = mockClient(ECSClient);
export const batchMock = mockClient(BatchClient);
export const secretsMock = mockClient(SecretsManagerClient);
export const dynamoMock = mockClient(DynamoDBClient);
export const eventsMock = mockClient(EventBridgeClient);
export const TABLE = 'batch-registry-gateway-test-convergence';
const NOW = Date.parse('2026-12-01T12:00:00Z');

/** Resets every mock and answers as AWS does when nothing is wrong: no credential secret yet, writes accepted. */
export function resetFleet(): void {
  for (const mock of [ecsMock, batchMock, secretsMock, dynamoMock, eventsMock]) mock.reset();
  installCredentialSecrets([]);
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
}

/**
 * One fleetReport over these compute environments, in the default modes (instance and task
 * credentials on) unless `settings` says otherwise; collects the metrics and log lines.
 */
export function runReport(
  computeEnvironments: readonly string[],
  settings: Partial<FleetReportSettings> = {},
) {
  const published: MetricValues[] = [];
  const logged: Record<string, unknown>[] = [];
  const report = fleetReport(
    {
      secretsManager: new SecretsManagerClient({}),
      batch: new BatchClient({}),
      ecs: new ECSClient({}),
      dynamodb: new DynamoDBClient({}),
      eventBridge: new EventBridgeClient({}),
      metrics: { publish: (values) => published.push(values) },
      logger: { info: (_message, extra) => logged.push(extra) },
      now: () => NOW,
    },
    {
      registrySecretArn: SECRET_ARN,
      computeEnvironments,
      instanceCredentials: true,
      taskCredentials: true,
      registrySecretPrefix: PREFIX,
      eventBusName: 'ops-bus',
      convergenceTable: TABLE,
      ...settings,
    },
  );
  return { report, published, logged };
}

export interface FakeInstance {
  readonly id: string;
  readonly status: ContainerInstanceStatus;
  /** The secret-version attribute, if the boot script set one. */
  readonly version?: string;
}

export const clusterArn = (ce: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${ce}_Batch_0a1b2c3d`;
const instanceArn = (ce: string, id: string) =>
  `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/${ce}_Batch_0a1b2c3d/${id}`;

export function ec2ComputeEnvironment(name: string): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: name,
    computeEnvironmentArn: `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/${name}`,
    ecsClusterArn: clusterArn(name),
    type: 'MANAGED',
    state: 'ENABLED',
    status: 'VALID',
    computeResources: {
      type: 'EC2',
      allocationStrategy: 'BEST_FIT_PROGRESSIVE',
      minvCpus: 0,
      maxvCpus: 256,
      subnets: ['subnet-0a1b2c3d'],
      instanceRole: `arn:aws:iam::${ACCOUNT}:instance-profile/ecsInstanceRole`,
    },
  };
}

/**
 * ECS as it answers for these clusters: ListAttributes and ListContainerInstances filtered by
 * cluster (and status), in pages of `maxResults` with an opaque nextToken, as the ECS API does.
 */
export function installFleet(
  computeEnvironments: readonly ComputeEnvironmentDetail[],
  instances: Readonly<Record<string, readonly FakeInstance[]>>,
  currentVersion = CURRENT,
): void {
  secretsMock.on(DescribeSecretCommand).resolves({
    ARN: SECRET_ARN,
    Name: 'batch-registry-credentials',
    VersionIdsToStages: { [currentVersion]: ['AWSCURRENT'], [OLD]: ['AWSPREVIOUS'] },
  });
  batchMock
    .on(DescribeComputeEnvironmentsCommand)
    .resolves({ computeEnvironments: [...computeEnvironments] });
  const ceOf = (cluster: string | undefined) =>
    cluster?.replace(/^.*cluster\//, '').replace(/_Batch_.*$/, '') ?? '';
  const page = <T>(items: T[], nextToken: string | undefined, maxResults = 100) => {
    const start = nextToken ? Number(nextToken.replace('page-', '')) : 0;
    const end = start + maxResults;
    return { items: items.slice(start, end), nextToken: end < items.length ? `page-${end}` : undefined };
  };
  ecsMock.on(ListContainerInstancesCommand).callsFake((input) => {
    const ce = ceOf(input.cluster);
    const all = (instances[ce] ?? []).filter((instance) => instance.status === (input.status ?? 'ACTIVE'));
    const { items, nextToken } = page(all, input.nextToken, input.maxResults);
    return { containerInstanceArns: items.map((instance) => instanceArn(ce, instance.id)), nextToken };
  });
  ecsMock.on(ListAttributesCommand).callsFake((input) => {
    const ce = ceOf(input.cluster);
    const all = (instances[ce] ?? []).filter((instance) => instance.version !== undefined);
    const { items, nextToken } = page(all, input.nextToken, input.maxResults);
    return {
      attributes: items.map((instance) => ({
        name: SECRET_VERSION_ATTRIBUTE,
        value: instance.version,
        targetType: 'container-instance' as const,
        targetId: instanceArn(ce, instance.id),
      })),
      nextToken,
    };
  });
}

/** `count` instances named `<prefix>-<n>`, every one on `version` (undefined: no attribute). */
export function instancesOn(
  prefix: string,
  count: number,
  version: string | undefined,
  status: ContainerInstanceStatus = 'ACTIVE',
): FakeInstance[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    status,
    ...(version ? { version } : {}),
  }));
}

/**
 * The fleet as the hardened boot (INSTANCE_CREDENTIALS=false) leaves it: an EC2 compute environment
 * per key of `counts`, with that many ACTIVE instances named after it, every one registered
 * without the secret-version attribute (counting them would make every one "unknown").
 */
export function installUnattributedFleet(counts: Readonly<Record<string, number>>): void {
  const entries = Object.entries(counts);
  installFleet(
    entries.map(([ce]) => ec2ComputeEnvironment(ce)),
    Object.fromEntries(entries.map(([ce, count]) => [ce, instancesOn(ce, count, undefined)])),
  );
}

/**
 * A registry credential secret as ListSecrets lists it: `registry` is its normalised name and its
 * name's suffix (no character to encode), `version` the source-version tag (undefined: none).
 */
export function credentialSecret(
  registry: string,
  version: string | undefined,
  deleted = false,
): SecretListEntry {
  return {
    ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${PREFIX}${registry}-Xy9Z8w`,
    Name: `${PREFIX}${registry}`,
    Description: `Credentials for registry ${registry}, kept by batch-registry-gateway from the registry secret.`,
    LastChangedDate: new Date('2026-11-30T08:00:00Z'),
    CreatedDate: new Date('2026-11-01T08:00:00Z'),
    Tags: [
      { Key: 'batch-registry-gateway:registry', Value: registry },
      ...(version ? [{ Key: 'batch-registry-gateway:source-version', Value: version }] : []),
    ],
    SecretVersionsToStages: { 'e3f1a2b4-0000-4000-8000-000000000001': ['AWSCURRENT'] },
    ...(deleted ? { DeletedDate: new Date('2026-11-30T09:00:00Z') } : {}),
  };
}

/** Secrets Manager's ListSecrets over these secrets: the name filter as a prefix, pages of MaxResults with a NextToken. */
export function installCredentialSecrets(secrets: readonly SecretListEntry[]): void {
  secretsMock.on(ListSecretsCommand).callsFake((input) => {
    const prefix =
      input.Filters?.find((filter: { Key?: string }) => filter.Key === 'name')?.Values?.[0] ?? '';
    const listed = secrets.filter(
      (entry) => entry.Name?.startsWith(prefix) && (input.IncludePlannedDeletion || !entry.DeletedDate),
    );
    const start = input.NextToken ? Number(input.NextToken.replace('secrets-', '')) : 0;
    const end = start + (input.MaxResults ?? 100);
    return {
      SecretList: listed.slice(start, end),
      ...(end < listed.length ? { NextToken: `secrets-${end}` } : {}),
    };
  });
}
