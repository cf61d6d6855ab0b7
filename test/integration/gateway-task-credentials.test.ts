import {
  BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { registryCredentialSecretName } from '../../lib/task-credentials/secret-name';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';
import { basicAuth, pushImage, type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';

// SPEC §11 end to end against moto and the real registry: with the registry's credential secret in
// Secrets Manager, POST /jobs on an EC2 queue and on a Fargate queue registers a job definition with
// repositoryCredentials and the execution role, and the job lands on the queue. The submit function
// is loaded once per queue (each its own container), as Lambda would run one per deployment.

type SubmitModule = typeof import('../../handlers/submit-job');

const EC2_QUEUE = 'brg-tc-ec2';
const FARGATE_QUEUE = 'brg-tc-fargate';
const PREFIX = 'brg-it/registry/';
const user = { username: 'bot', password: 'Tc-Good-Password-3a7f' };
const context = { awsRequestId: 'it-task-credentials' } as Context;

let moto: RunningMoto;
let registry: RunningRegistry;
let batch: BatchClient;
let secrets: SecretsManagerClient;
let executionRoleArn: string;
let credentialSecretArn: string;
const restoreEnv: Array<() => void> = [];

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry({ kind: 'htpasswd', users: [user] })]);
  await pushImage(registry.url, 'team/app', 'v1', basicAuth(user));
  restoreEnv.push(setEnv(moto.env));
  const client = {
    endpoint: moto.endpoint,
    region: moto.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  batch = new BatchClient(client);
  secrets = new SecretsManagerClient(client);
  const iam = new IAMClient(client);
  const ec2 = new EC2Client(client);
  await provisionBatchFleet(client, { name: EC2_QUEUE });
  // A Fargate compute environment and queue, as the stack creates them with computeType=FARGATE.
  const serviceRole = await iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForBatch' }));
  const subnets = await ec2.send(new DescribeSubnetsCommand({}));
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
  const fargate = await batch.send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: FARGATE_QUEUE,
      type: 'MANAGED',
      state: 'ENABLED',
      serviceRole: serviceRole.Role?.Arn,
      computeResources: {
        type: 'FARGATE',
        maxvCpus: 16,
        subnets: [subnets.Subnets?.[0]?.SubnetId ?? ''],
        securityGroupIds: [groups.SecurityGroups?.[0]?.GroupId ?? ''],
      },
    }),
  );
  await batch.send(
    new CreateJobQueueCommand({
      jobQueueName: FARGATE_QUEUE,
      priority: 1,
      state: 'ENABLED',
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: fargate.computeEnvironmentArn }],
    }),
  );
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'brg-it-execution',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  executionRoleArn = role.Role?.Arn ?? '';
  const registrySecret = await secrets.send(
    new CreateSecretCommand({
      Name: 'brg-it-tc-registries',
      SecretString: JSON.stringify({ registries: [{ registry_url: registry.url, ...user }] }),
    }),
  );
  // What a rollout writes (SPEC §11): the registry's credential secret, {"username","password"}.
  const credentialSecret = await secrets.send(
    new CreateSecretCommand({
      Name: registryCredentialSecretName(PREFIX, registry.host),
      SecretString: JSON.stringify(user),
      Tags: [{ Key: 'batch-registry-gateway:registry', Value: registry.host }],
    }),
  );
  credentialSecretArn = credentialSecret.ARN ?? '';
  restoreEnv.push(
    setEnv({
      REGISTRY_SECRET_ARN: registrySecret.ARN ?? '',
      REGISTRY_SECRET_PREFIX: PREFIX,
      EXECUTION_ROLE_ARN: executionRoleArn,
      TASK_CREDENTIALS: 'true',
      STAGE: 'it',
      VERIFY_IMAGES: 'true',
      // Every request looks the credential secret up again: the test deletes it half-way.
      SECRET_CACHE_SECONDS: '0',
    }),
  );
}, 60000);

afterAll(async () => {
  for (const restore of restoreEnv.reverse()) restore();
  await Promise.all([moto?.stop(), registry?.stop()]);
});

/** A fresh submit function (a new container) on `queue`. */
async function submitFunctionOn(queue: string): Promise<SubmitModule> {
  const restore = setEnv({ JOB_QUEUE: queue });
  try {
    let loaded: SubmitModule | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = await import('../../handlers/submit-job');
    });
    if (!loaded) throw new Error('the submit function did not load');
    return loaded;
  } finally {
    restore();
  }
}

async function post(
  fn: SubmitModule,
  body: Record<string, unknown>,
): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  const event = loadFixture<HttpEvent>('http/post-jobs.json');
  event.body = JSON.stringify(body);
  const result = await fn.handler(event, context);
  return { result, body: JSON.parse(result.body ?? '{}') as Record<string, unknown> };
}

async function definitionOf(arn: string) {
  const described = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [arn] }));
  const definition = described.jobDefinitions?.[0];
  if (!definition) throw new Error(`no job definition ${arn}`);
  return definition;
}

async function expectOnQueue(queue: string, jobId: string, definitionArn: string): Promise<void> {
  const listed = await batch.send(new ListJobsCommand({ jobQueue: queue, jobStatus: 'SUBMITTED' }));
  const all = await batch.send(
    new ListJobsCommand({ jobQueue: queue, filters: [{ name: 'JOB_NAME', values: ['app-v1'] }] }),
  );
  const ids = [...(listed.jobSummaryList ?? []), ...(all.jobSummaryList ?? [])].map((job) => job.jobId);
  expect(ids).toContain(jobId);
  const job = (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
  expect(job?.jobDefinition).toBe(definitionArn);
  expect(job?.jobQueue).toContain(queue);
}

describe('per-task registry credentials against moto and a real registry', () => {
  it('EC2 queue: the job definition carries the credential secret and the execution role; a new container reuses it', async () => {
    const image = `${registry.host}/team/app:v1`;
    const fn = await submitFunctionOn(EC2_QUEUE);

    const { result, body } = await post(fn, { image, command: ['echo', 'hi'], vcpus: 2, memory: 1024 });

    expect(result.statusCode).toBe(202);
    const definition = await definitionOf(String(body.jobDefinition));
    expect(definition.jobDefinitionName).toMatch(/^brg-it-127-0-0-1-\d+-team-app-v1-[0-9a-f]{12}$/);
    expect(definition.platformCapabilities).toEqual(['EC2']);
    expect(definition.containerProperties).toMatchObject({
      image,
      executionRoleArn,
      repositoryCredentials: { credentialsParameter: credentialSecretArn },
    });
    expect(JSON.stringify(definition)).not.toContain(user.password);
    await expectOnQueue(EC2_QUEUE, String(body.jobId), String(body.jobDefinition));

    // Another container finds the revision moto describes and takes it as exactly its own.
    const again = await post(await submitFunctionOn(EC2_QUEUE), { image });
    expect(again.result.statusCode).toBe(202);
    expect(again.body.jobDefinition).toBe(body.jobDefinition);
  });

  it('Fargate queue: a Fargate job definition with the credential secret, network and resources; the job on the queue', async () => {
    const image = `${registry.host}/team/app:v1`;
    const fn = await submitFunctionOn(FARGATE_QUEUE);

    const { result, body } = await post(fn, { image, command: ['echo', 'hi'], vcpus: 0.5 });

    expect(result.statusCode).toBe(202);
    const definition = await definitionOf(String(body.jobDefinition));
    expect(definition.platformCapabilities).toEqual(['FARGATE']);
    expect(definition.containerProperties).toMatchObject({
      image,
      executionRoleArn,
      repositoryCredentials: { credentialsParameter: credentialSecretArn },
      networkConfiguration: { assignPublicIp: 'DISABLED' },
      resourceRequirements: expect.arrayContaining([
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '2048' },
      ]),
    });
    await expectOnQueue(FARGATE_QUEUE, String(body.jobId), String(body.jobDefinition));
    // Off Fargate's table: 400 naming the allowed values.
    const refused = await post(fn, { image, vcpus: 0.3 });
    expect(refused.result.statusCode).toBe(400);
    expect(String(refused.body.detail)).toContain('0.25, 0.5, 1, 2, 4, 8, 16');
  });

  it('a credential secret scheduled for deletion: Fargate answers 503 with Retry-After, EC2 falls back to instance credentials', async () => {
    const image = `${registry.host}/team/app:v1`;
    const [onEc2, onFargate] = [await submitFunctionOn(EC2_QUEUE), await submitFunctionOn(FARGATE_QUEUE)];
    await secrets.send(new DeleteSecretCommand({ SecretId: credentialSecretArn, RecoveryWindowInDays: 30 }));

    const fargate = await post(onFargate, { image });
    const ec2 = await post(onEc2, { image });

    expect(fargate.result.statusCode).toBe(503);
    expect(fargate.result.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(String(fargate.body.detail)).toContain(registry.host);
    expect(ec2.result.statusCode).toBe(202);
    const definition = await definitionOf(String(ec2.body.jobDefinition));
    expect(definition.containerProperties?.repositoryCredentials).toBeUndefined();
    expect(definition.containerProperties?.executionRoleArn).toBeUndefined();
    await expectOnQueue(EC2_QUEUE, String(ec2.body.jobId), String(ec2.body.jobDefinition));
  });
});
