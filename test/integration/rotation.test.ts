import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { versionDescriptionFor } from '../../lib/rollout/launch-template';
import { renderUserData } from '../../lib/rollout/user-data';
import type { RotationStep } from '../../lib/rotation/rotate-secret';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import {
  createStagingSecret,
  enableRotation,
  provisionBatchFleet,
  startRotation,
} from '../../scripts/servers/moto-fleet';
import { type RunningRegistry, startRegistry } from '../../scripts/servers/registry';

jest.setTimeout(120000);

const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const OLD_USER = { username: 'ci-bot', password: 'old-pass-LEAK-CANARY-1' };
const NEW_USER = { username: 'ci-bot-2026', password: 'new-pass-LEAK-CANARY-2' };
const context = { functionName: 'rotateSecret', awsRequestId: 'integration' } as Context;

let moto: RunningMoto;
let registry: RunningRegistry;
let ec2: EC2Client;
let secretsManager: SecretsManagerClient;
let secretArn: string;
let stagingSecretArn: string;
let motoConfig: { endpoint: string; region: string };
let launchTemplateId: string;
let handler: (event: unknown, context: Context) => Promise<void>;
const savedEnv = { ...process.env };

function secretValue(user: { username: string; password: string }): string {
  return JSON.stringify({ registries: [{ registry_url: registry.url, ...user }] });
}

async function currentVersion(): Promise<string | undefined> {
  const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
  return Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
}

async function launchTemplateVersions() {
  const response = await ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, MaxResults: 200 }),
  );
  return response.LaunchTemplateVersions ?? [];
}

/**
 * The operator's side of a rotation (README): the new value into the staging secret, then
 * RotateSecret, which creates the rotation's AWSPENDING version without a value under its own
 * token (moto PR 8504, as AWS does). Returns that token.
 */
async function stagePending(user: { username: string; password: string }): Promise<string> {
  await secretsManager.send(
    new PutSecretValueCommand({ SecretId: stagingSecretArn, SecretString: secretValue(user) }),
  );
  const token = await startRotation(secretsManager, motoConfig, secretArn);
  const placeholder = await secretsManager
    .send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token, VersionStage: 'AWSPENDING' }))
    .then(
      () => 'a value',
      (error: unknown) => (error instanceof Error ? error.name : 'error'),
    );
  expect(placeholder).toBe('ResourceNotFoundException');
  return token;
}

/** Collects what the handler logs (Powertools writes JSON lines to stdout, errors to stderr) while `fn` runs. */
async function capturingLogs(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(keep),
    jest.spyOn(process.stderr, 'write').mockImplementation(keep),
  ];
  try {
    await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

/** Runs one step through the real handler; every step runs twice to prove it is safe to repeat. */
async function runStepTwice(step: RotationStep, token: string): Promise<void> {
  for (let run = 0; run < 2; run += 1) {
    await handler({ SecretId: secretArn, ClientRequestToken: token, Step: step }, context);
  }
}

beforeAll(async () => {
  [moto, registry] = await Promise.all([
    startMoto(),
    startRegistry({ kind: 'htpasswd', users: [OLD_USER, NEW_USER] }),
  ]);
  const clientConfig = {
    endpoint: moto.endpoint,
    region: moto.env.AWS_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  ec2 = new EC2Client(clientConfig);
  secretsManager = new SecretsManagerClient(clientConfig);

  // What serverless.yml provisions: the secret, the launch template, the roles, a compute environment.
  const created = await secretsManager.send(
    new CreateSecretCommand({ Name: 'brg-registry-credentials', SecretString: secretValue(OLD_USER) }),
  );
  secretArn = created.ARN ?? '';
  await enableRotation(secretsManager, secretArn);
  stagingSecretArn = await createStagingSecret(secretsManager, 'brg-registry-credentials-staging');
  motoConfig = { endpoint: moto.endpoint, region: moto.env.AWS_REGION ?? 'us-east-1' };
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'brg-batch',
      LaunchTemplateData: {
        UserData: Buffer.from(
          renderUserData({ secretArn, secretVersion: { versionStage: 'AWSCURRENT' } }),
        ).toString('base64'),
      },
    }),
  );
  launchTemplateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
  await provisionBatchFleet(
    { endpoint: moto.endpoint, region: moto.env.AWS_REGION ?? 'us-east-1' },
    { name: 'brg-ondemand', launchTemplate: { launchTemplateId, version: '1' } },
  );

  // The handler reads its configuration and creates its clients at import, as in Lambda.
  Object.assign(process.env, moto.env, {
    REGISTRY_SECRET_ARN: secretArn,
    LAUNCH_TEMPLATE_ID: launchTemplateId,
    COMPUTE_ENVIRONMENTS: 'brg-ondemand',
    REGISTRY_STAGING_SECRET_ARN: stagingSecretArn,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  ({ handler } = await import('../../handlers/rotate-secret'));
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([moto?.stop(), registry?.stop()]);
});

describe('rotation against moto and a real registry', () => {
  it('with right credentials publishes a launch template version pinned to the pending version and moves AWSCURRENT', async () => {
    const token = await stagePending(NEW_USER);

    const logs = await capturingLogs(async () => {
      for (const step of STEPS) await runStepTwice(step, token);
    });

    const versions = await launchTemplateVersions();
    expect(versions.map((v) => v.VersionNumber).sort()).toEqual([1, 2]);
    const published = versions.find((v) => v.VersionNumber === 2);
    expect(published?.VersionDescription).toBe(versionDescriptionFor(token));
    expect(published?.DefaultVersion).toBe(true);
    const userData = Buffer.from(published?.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain(`SECRET_VERSION_ID='${token}'`);
    expect(userData).toContain(secretArn);
    expect(userData).not.toContain(NEW_USER.password);
    expect(await currentVersion()).toBe(token);
    const summary = logs.map((line) => JSON.parse(line)).find((entry) => entry.message === 'rollout summary');
    expect(summary).toMatchObject({
      secretVersionId: token,
      launchTemplateVersion: 2,
      computeEnvironments: [{ computeEnvironment: 'brg-ondemand', kind: 'updated' }],
    });
    expect(logs.join('')).not.toContain(NEW_USER.password);
  });

  it('with wrong credentials fails testSecret naming the registry, publishes nothing and keeps AWSCURRENT', async () => {
    const before = await currentVersion();
    const versionsBefore = await launchTemplateVersions();
    const token = await stagePending({ username: NEW_USER.username, password: 'wrong-pass' });

    const logs = await capturingLogs(async () => {
      await runStepTwice('createSecret', token);
      await runStepTwice('setSecret', token);
      for (let run = 0; run < 2; run += 1) {
        await expect(
          handler({ SecretId: secretArn, ClientRequestToken: token, Step: 'testSecret' }, context),
        ).rejects.toThrow(`Registry login failed: ${registry.host} (HTTP 401: unauthorized)`);
      }
      // Even if finishSecret ran anyway, the rollout checks the credentials first and stops.
      await expect(
        handler({ SecretId: secretArn, ClientRequestToken: token, Step: 'finishSecret' }, context),
      ).rejects.toThrow(registry.host);
    });

    expect(await launchTemplateVersions()).toHaveLength(versionsBefore.length);
    expect(await currentVersion()).toBe(before);
    expect(logs.join('')).not.toContain('wrong-pass');
    expect(logs.join('')).not.toContain(OLD_USER.password);
  });
});
