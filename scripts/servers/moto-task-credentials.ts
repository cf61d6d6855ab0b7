import { BatchClient, CreateComputeEnvironmentCommand } from '@aws-sdk/client-batch';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { MotoClientConfig } from './moto-fleet';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * Creates in moto the stack's execution role (SPEC §11): trusted by ECS tasks, with the ECS task
 * execution policy and GetSecretValue on the registry credential secrets' prefix — what
 * serverless.yml's ExecutionRole grants. Returns its ARN.
 */
export async function provisionExecutionRole(
  moto: MotoClientConfig,
  options: { readonly name: string; readonly prefix: string },
): Promise<string> {
  const iam = new IAMClient({ ...moto, credentials });
  const roleName = `${options.name}-execution`;
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await iam
    .send(
      new AttachRolePolicyCommand({
        RoleName: roleName,
        PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
      }),
    )
    .catch(async (error: unknown) => {
      // moto loads AWS managed policies only when configured to at start: the same grants inline.
      if (!(error instanceof Error) || error.name !== 'NoSuchEntityException') throw error;
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: 'ecs-task-execution',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: [
                  'ecr:GetAuthorizationToken',
                  'ecr:BatchCheckLayerAvailability',
                  'ecr:GetDownloadUrlForLayer',
                  'ecr:BatchGetImage',
                  'logs:CreateLogStream',
                  'logs:PutLogEvents',
                ],
                Resource: '*',
              },
            ],
          }),
        }),
      );
    });
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'read-registry-credential-secrets',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `arn:aws:secretsmanager:${moto.region}:123456789012:secret:${options.prefix}*`,
          },
        ],
      }),
    }),
  );
  if (!role.Role?.Arn) throw new Error('moto returned no execution role ARN');
  return role.Role.Arn;
}

/**
 * Creates a managed FARGATE compute environment in moto (default subnet and security group), with
 * the Batch service-linked role moto wants (created by provisionBatchFleet, or here). Returns its ARN.
 */
export async function provisionFargateComputeEnvironment(
  moto: MotoClientConfig,
  options: { readonly name: string },
): Promise<string> {
  const client = { ...moto, credentials };
  const iam = new IAMClient(client);
  const ec2 = new EC2Client(client);
  const serviceRoleArn = await iam
    .send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForBatch' }))
    .then((found) => found.Role?.Arn)
    .catch(async () => {
      const created = await iam.send(
        new CreateRoleCommand({
          RoleName: 'AWSServiceRoleForBatch',
          Path: '/aws-service-role/batch.amazonaws.com/',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      );
      return created.Role?.Arn;
    });
  const subnets = await ec2.send(new DescribeSubnetsCommand({}));
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
  const subnetId = subnets.Subnets?.[0]?.SubnetId;
  const groupId = groups.SecurityGroups?.[0]?.GroupId;
  if (!serviceRoleArn || !subnetId || !groupId)
    throw new Error('moto returned no role, subnet or security group');
  const environment = await new BatchClient(client).send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: options.name,
      type: 'MANAGED',
      state: 'ENABLED',
      serviceRole: serviceRoleArn,
      computeResources: { type: 'FARGATE', maxvCpus: 16, subnets: [subnetId], securityGroupIds: [groupId] },
    }),
  );
  if (!environment.computeEnvironmentArn) throw new Error('moto returned no compute environment ARN');
  return environment.computeEnvironmentArn;
}
