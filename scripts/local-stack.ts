// `npm start`: the whole service on this machine, with no AWS account (SPEC §10).
// moto plays AWS, the CNCF distribution registry plays the private registry, serverless-offline
// serves the HTTP API. Ctrl-C stops everything this started.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand } from '@aws-sdk/client-batch';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { renderUserData } from '../lib/rollout/user-data';
import { startMoto } from './servers/moto';
import { waitFor } from './servers/processes';
import { basicAuth, pushImage, type RegistryUser, startRegistry } from './servers/registry';

const root = join(__dirname, '..');
const STAGE = 'local';
const NAME = 'batch-registry-gateway-local';

function port(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a TCP port`);
  return value;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly lambdaUrl: string;
  readonly motoEndpoint: string;
  readonly registryUrl: string;
  readonly registryHost: string;
  readonly secretArn: string;
  readonly launchTemplateId: string;
  readonly computeEnvironment: string;
  readonly jobQueue: string;
  /** A second registry user, for a local rotation to switch to. */
  readonly nextUser: RegistryUser;
}

async function main(): Promise<void> {
  const httpPort = port('BRG_HTTP_PORT', 3000);
  const lambdaPort = port('BRG_LAMBDA_PORT', 3002);
  const stops: Array<() => Promise<void>> = [];
  let offline: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the local stack...');
    if (offline?.pid && offline.exitCode === null) {
      const exited = new Promise((resolve) => offline?.once('exit', resolve));
      process.kill(-offline.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (offline.exitCode === null) process.kill(-offline.pid, 'SIGKILL');
    }
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    console.log('Stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const moto = await startMoto({ port: port('BRG_MOTO_PORT', 5001) });
    stops.push(moto.stop);
    Object.assign(process.env, moto.env);
    console.log(`moto (AWS emulator)        ${moto.endpoint}`);

    const user: RegistryUser = { username: 'local', password: randomBytes(12).toString('base64url') };
    const nextUser: RegistryUser = {
      username: 'local-rotated',
      password: randomBytes(12).toString('base64url'),
    };
    const registry = await startRegistry(
      { kind: 'htpasswd', users: [user, nextUser] },
      { port: port('BRG_REGISTRY_PORT', 5000) },
    );
    stops.push(registry.stop);
    await pushImage(registry.url, 'samples/hello', 'latest', basicAuth(user));
    console.log(
      `registry (htpasswd auth)   ${registry.url}  (sample image ${registry.host}/samples/hello:latest)`,
    );

    const stack = await provision(
      moto.endpoint,
      registry.url,
      registry.host,
      user,
      nextUser,
      httpPort,
      lambdaPort,
    );
    mkdirSync(join(root, '.local'), { recursive: true });
    writeFileSync(join(root, '.local', 'stack.json'), `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });

    offline = spawn('serverless', ['offline', 'start', '--stage', STAGE], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        BRG_HTTP_PORT: String(httpPort),
        BRG_LAMBDA_PORT: String(lambdaPort),
        REGISTRY_SECRET_ARN: stack.secretArn,
        LAUNCH_TEMPLATE_ID: stack.launchTemplateId,
        COMPUTE_ENVIRONMENTS: stack.computeEnvironment,
        JOB_QUEUE: stack.jobQueue,
      },
    });
    offline.once('exit', (code) => {
      if (!stopping) {
        console.error(`serverless-offline exited (${code ?? 'signal'}); stopping.`);
        void stopAll(1);
      }
    });
    await waitFor(
      async () => (await fetch(`${stack.apiUrl}/registries`)).status === 200,
      120_000,
      () => 'serverless-offline did not answer GET /registries',
    );
    printUsage(stack);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await stopAll(1);
  }
}

async function provision(
  endpoint: string,
  registryUrl: string,
  registryHost: string,
  user: RegistryUser,
  nextUser: RegistryUser,
  httpPort: number,
  lambdaPort: number,
): Promise<LocalStack> {
  const client = { endpoint, region: process.env.AWS_REGION };
  const secrets = new SecretsManagerClient(client);
  const ec2 = new EC2Client(client);
  const iam = new IAMClient(client);
  const batch = new BatchClient(client);

  const secret = await secrets.send(
    new CreateSecretCommand({
      Name: `${NAME}-registry-credentials`,
      SecretString: JSON.stringify({ registries: [{ registry_url: registryUrl, ...user }] }),
    }),
  );
  if (!secret.ARN) throw new Error('moto returned no secret ARN');
  // Rotation must be enabled for rotateSecret's checks. Without a Lambda ARN moto only records the
  // schedule; RotateImmediately=false keeps the value and makes it a new AWSCURRENT version.
  const rotated = await secrets.send(
    new RotateSecretCommand({
      SecretId: secret.ARN,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
  if (!rotated.VersionId) throw new Error('moto returned no secret version');
  const launchTemplate = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: NAME,
      VersionDescription: `secret version ${rotated.VersionId}`,
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        UserData: Buffer.from(
          renderUserData({ secretArn: secret.ARN, secretVersion: { versionId: rotated.VersionId } }),
        ).toString('base64'),
      },
    }),
  );
  const launchTemplateId = launchTemplate.LaunchTemplate?.LaunchTemplateId;
  if (!launchTemplateId) throw new Error('moto returned no launch template id');

  const assume = (service: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
    });
  const serviceRole = await iam.send(
    new CreateRoleCommand({
      RoleName: 'AWSServiceRoleForBatch',
      Path: '/aws-service-role/batch.amazonaws.com/',
      AssumeRolePolicyDocument: assume('batch.amazonaws.com'),
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: `${NAME}-instance`,
      AssumeRolePolicyDocument: assume('ec2.amazonaws.com'),
    }),
  );
  const profile = await iam.send(
    new CreateInstanceProfileCommand({ InstanceProfileName: `${NAME}-instance` }),
  );
  await iam.send(
    new AddRoleToInstanceProfileCommand({
      InstanceProfileName: `${NAME}-instance`,
      RoleName: `${NAME}-instance`,
    }),
  );

  // moto checks the network exists, as Batch does.
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId;
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.42.1.0/24' }));
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: NAME, Description: 'local Batch instances' }),
  );
  if (!subnet.Subnet?.SubnetId || !group.GroupId)
    throw new Error('moto returned no subnet or security group');

  const environment = await batch.send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: NAME,
      type: 'MANAGED',
      state: 'ENABLED',
      serviceRole: serviceRole.Role?.Arn,
      computeResources: {
        type: 'EC2',
        allocationStrategy: 'BEST_FIT_PROGRESSIVE',
        minvCpus: 0,
        maxvCpus: 16,
        instanceTypes: ['optimal'],
        subnets: [subnet.Subnet.SubnetId],
        securityGroupIds: [group.GroupId],
        instanceRole: profile.InstanceProfile?.Arn,
        launchTemplate: { launchTemplateId, version: '$Default' },
      },
    }),
  );
  const queue = await batch.send(
    new CreateJobQueueCommand({
      jobQueueName: NAME,
      priority: 1,
      state: 'ENABLED',
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: environment.computeEnvironmentArn }],
    }),
  );
  if (!environment.computeEnvironmentArn || !queue.jobQueueArn)
    throw new Error('moto returned no Batch ARNs');
  console.log(
    `provisioned in moto        secret, launch template ${launchTemplateId}, compute environment, job queue`,
  );
  return {
    apiUrl: `http://127.0.0.1:${httpPort}`,
    lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
    motoEndpoint: endpoint,
    registryUrl,
    registryHost,
    secretArn: secret.ARN,
    launchTemplateId,
    computeEnvironment: environment.computeEnvironmentArn,
    jobQueue: queue.jobQueueArn,
    nextUser,
  };
}

function printUsage(stack: LocalStack): void {
  const image = `${stack.registryHost}/samples/hello:latest`;
  console.log(`
The gateway is up on ${stack.apiUrl}  (IAM auth is OFF locally: serverless-offline --noAuth)

  Registries:      curl -s ${stack.apiUrl}/registries
  Submit a job:    curl -s -X POST ${stack.apiUrl}/jobs -H 'content-type: application/json' \\
                     -d '{"image":"${image}","command":["echo","hello"]}'
  Read it back:    curl -s ${stack.apiUrl}/jobs/<jobId>
  Cancel it:       curl -s -X DELETE ${stack.apiUrl}/jobs/<jobId>
  Rotate:          npm run local:rotate     (stages new credentials, runs the four rotation steps)

State: .local/stack.json   Ctrl-C stops everything.`);
}

void main();
