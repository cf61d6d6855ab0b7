import {
  BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
} from '@aws-sdk/client-batch';
import {
  type ContainerInstanceStatus,
  ECSClient,
  ListAttributesCommand,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_VERSION_ATTRIBUTE } from '../../../lib/fleet/counts';

export const ACCOUNT = '123456789012';
export const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:batch-registry-credentials-AbC123`;
export const CURRENT = 'c0ffee00-1111-2222-3333-444455556666';
export const OLD = 'deadbeef-1111-2222-3333-444455556666';

export const ecsMock = mockClient(ECSClient);
export const batchMock = mockClient(BatchClient);
export const secretsMock = mockClient(SecretsManagerClient);

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
