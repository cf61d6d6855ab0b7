import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand } from '@aws-sdk/client-batch';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Where moto listens, as an SDK client's endpoint and region. */
export interface MotoClientConfig {
  readonly endpoint: string;
  readonly region: string;
}

export interface FleetOptions {
  /** Names the compute environment, the job queue and the instance role and profile. */
  readonly name: string;
  /** The launch template the compute environment uses, if any. */
  readonly launchTemplate?: { readonly launchTemplateId: string; readonly version: string };
}

export interface Fleet {
  readonly computeEnvironmentArn: string;
  readonly jobQueueArn: string;
}

const trust = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/**
 * Creates in moto what the stack's fleet needs: the Batch service-linked role, an instance role and
 * profile, a managed EC2 compute environment (BEST_FIT_PROGRESSIVE, default VPC subnet and
 * security group) and a job queue on it. moto checks the roles, profile and network exist, as
 * Batch does. Once per moto server (the service-linked role is account-wide).
 */
export async function provisionBatchFleet(moto: MotoClientConfig, options: FleetOptions): Promise<Fleet> {
  // moto takes any credentials; fixed ones keep the SDK from searching the machine for some.
  const client = { ...moto, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const iam = new IAMClient(client);
  const ec2 = new EC2Client(client);
  const batch = new BatchClient(client);
  const serviceRole = await iam.send(
    new CreateRoleCommand({
      RoleName: 'AWSServiceRoleForBatch',
      Path: '/aws-service-role/batch.amazonaws.com/',
      AssumeRolePolicyDocument: trust('batch.amazonaws.com'),
    }),
  );
  const instanceName = `${options.name}-instance`;
  await iam.send(
    new CreateRoleCommand({ RoleName: instanceName, AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }),
  );
  const profile = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: instanceName }));
  await iam.send(
    new AddRoleToInstanceProfileCommand({ InstanceProfileName: instanceName, RoleName: instanceName }),
  );
  const subnets = await ec2.send(new DescribeSubnetsCommand({}));
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
  const subnetId = subnets.Subnets?.[0]?.SubnetId;
  const groupId = groups.SecurityGroups?.[0]?.GroupId;
  if (!serviceRole.Role?.Arn || !profile.InstanceProfile?.Arn || !subnetId || !groupId) {
    throw new Error('moto returned no role, instance profile, subnet or security group');
  }
  const environment = await batch.send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: options.name,
      type: 'MANAGED',
      state: 'ENABLED',
      serviceRole: serviceRole.Role.Arn,
      computeResources: {
        type: 'EC2',
        allocationStrategy: 'BEST_FIT_PROGRESSIVE',
        minvCpus: 0,
        maxvCpus: 16,
        instanceTypes: ['optimal'],
        subnets: [subnetId],
        securityGroupIds: [groupId],
        instanceRole: profile.InstanceProfile.Arn,
        ...(options.launchTemplate ? { launchTemplate: options.launchTemplate } : {}),
      },
    }),
  );
  const queue = await batch.send(
    new CreateJobQueueCommand({
      jobQueueName: options.name,
      priority: 1,
      state: 'ENABLED',
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: environment.computeEnvironmentArn }],
    }),
  );
  if (!environment.computeEnvironmentArn || !queue.jobQueueArn)
    throw new Error('moto returned no Batch ARNs');
  return { computeEnvironmentArn: environment.computeEnvironmentArn, jobQueueArn: queue.jobQueueArn };
}

/**
 * Creates in moto the execution role of managed job definitions (SPEC §11: ECS or Fargate reads
 * the registry credential secret with it), trusted by ECS tasks; returns its ARN.
 */
export async function createExecutionRole(moto: MotoClientConfig, name: string): Promise<string> {
  const iam = new IAMClient({ ...moto, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `${name}-execution`,
      AssumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com'),
    }),
  );
  if (!role.Role?.Arn) throw new Error('moto returned no execution role');
  return role.Role.Arn;
}

/**
 * Turns rotation on for a secret in moto, which rotateSecret's checks require. moto records the
 * schedule only through RotateSecret; without a Lambda ARN and with RotateImmediately=false it
 * keeps the value and makes a copy of it the new AWSCURRENT version, whose id this returns.
 */
export async function enableRotation(
  secretsManager: SecretsManagerClient,
  secretArn: string,
): Promise<string> {
  const rotated = await secretsManager.send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
  if (!rotated.VersionId) throw new Error('moto returned no secret version');
  return rotated.VersionId;
}
