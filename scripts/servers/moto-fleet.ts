import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand } from '@aws-sdk/client-batch';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

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

/** Creates the staging secret (SPEC §6) as the stack does: empty until the operator stages a value. */
export async function createStagingSecret(
  secretsManager: SecretsManagerClient,
  name: string,
): Promise<string> {
  const created = await secretsManager.send(new CreateSecretCommand({ Name: name }));
  if (!created.ARN) throw new Error('moto returned no staging secret ARN');
  return created.ARN;
}

/**
 * A stand-in rotation function in moto's Lambda, for RotateSecret to name (moto runs it without
 * Docker: it answers and does nothing). The real rotateSecret steps run elsewhere.
 */
async function placeholderRotationFunction(moto: MotoClientConfig): Promise<string> {
  const client = { ...moto, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const name = 'brg-rotation-placeholder';
  const iam = new IAMClient(client);
  const role = await iam
    .send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust('lambda.amazonaws.com') }))
    .catch(async () => iam.send(new GetRoleCommand({ RoleName: name })));
  // moto's Lambda API over plain HTTP (the project has no Lambda client); the Authorization
  // header's credential scope tells moto's server which service is meant.
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const headers = {
    'content-type': 'application/json',
    authorization: `AWS4-HMAC-SHA256 Credential=testing/${date}/${moto.region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
  };
  const base = `${moto.endpoint}/2015-03-31/functions`;
  const existing = await fetch(`${base}/${name}`, { headers });
  if (existing.ok)
    return ((await existing.json()) as { Configuration: { FunctionArn: string } }).Configuration.FunctionArn;
  const created = await fetch(base, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: role.Role?.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: Buffer.from('placeholder').toString('base64') },
    }),
  });
  if (!created.ok)
    throw new Error(`moto refused the placeholder function: ${created.status} ${await created.text()}`);
  return ((await created.json()) as { FunctionArn: string }).FunctionArn;
}

/**
 * Starts a rotation as Secrets Manager does (RotateSecret): a new AWSPENDING version without a
 * value, under a token RotateSecret chooses, which this returns. moto's RotateSecret invokes the
 * placeholder function; the caller then runs rotateSecret's four steps with the token.
 */
export async function startRotation(
  secretsManager: SecretsManagerClient,
  moto: MotoClientConfig,
  secretArn: string,
): Promise<string> {
  const rotated = await secretsManager.send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationLambdaARN: await placeholderRotationFunction(moto),
      RotateImmediately: true,
    }),
  );
  if (!rotated.VersionId) throw new Error('moto returned no rotation version');
  return rotated.VersionId;
}
