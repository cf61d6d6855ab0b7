import { type ComputeEnvironmentDetail, UpdateComputeEnvironmentCommand } from '@aws-sdk/client-batch';
import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { RolloutError, rollout } from '../../../lib/rollout/rollout';
import { CredentialSecretSyncError } from '../../../lib/task-credentials/sync';
import { FakeSecretsManager } from '../task-credentials/fake-secrets-manager';
import {
  ACCOUNT,
  batchMock,
  computeEnvironment,
  ec2Mock,
  FakeLaunchTemplate,
  installComputeEnvironments,
  makeDeps,
  PASSWORD,
  SECRET_ARN,
  SECRET_STRING,
  SETTINGS,
  secretsMock,
} from './fakes';

// The rollout with per-task credentials (SPEC §11): the credential secrets are written after the
// credentials were proved and nothing refuses, before the fleet moves; without instances (no
// launch template, Fargate, or instance credentials off) only they are.

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const PREFIX = SETTINGS.registrySecretPrefix;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const target = { secretArn: SECRET_ARN, secretVersionId: V };
const TASK = { ...SETTINGS, taskCredentials: true };
let fake: FakeSecretsManager;

function fargate(name: string): ComputeEnvironmentDetail {
  const detail = computeEnvironment(name);
  return {
    ...detail,
    computeResources: {
      type: 'FARGATE',
      maxvCpus: 256,
      subnets: ['subnet-0a1b2c3d4e5f60718'],
      securityGroupIds: ['sg-0123456789abcdef0'],
    },
  };
}

/** The registry secret (V) behind the fake credential secrets, with its KMS key. */
function installRegistrySecret(kmsKeyId?: string): void {
  fake = new FakeSecretsManager();
  fake.install(secretsMock, (api) => {
    if (api === 'GetSecretValue') {
      return {
        ARN: SECRET_ARN,
        Name: 'batch-registry-credentials',
        VersionId: V,
        SecretString: SECRET_STRING,
      };
    }
    if (api === 'DescribeSecret') {
      return {
        ARN: SECRET_ARN,
        Name: 'batch-registry-credentials',
        ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
      };
    }
    throw new Error(`unexpected ${api} on the registry secret`);
  });
}

function template(): FakeLaunchTemplate {
  const launchTemplate = new FakeLaunchTemplate([{ versionNumber: 1, description: 'initial' }], 1);
  launchTemplate.install();
  return launchTemplate;
}

describe('rollout with task credentials', () => {
  beforeEach(() => {
    ec2Mock.reset();
    batchMock.reset();
    secretsMock.reset();
    installRegistrySecret();
  });

  it('writes one credential secret per registry of V and still moves the fleet', async () => {
    template();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);
    const deps = makeDeps({ settings: TASK });

    const summary = await rollout(deps, target);

    expect(summary.credentialSecrets?.map((result) => [result.secretName, result.outcome.kind])).toEqual([
      [`${PREFIX}registry.example.com`, 'created'],
      [`${PREFIX}ghcr.io`, 'created'],
    ]);
    expect(fake.currentValue(`${PREFIX}ghcr.io`)).toBe(`{"username":"bot","password":"${PASSWORD}-gh"}`);
    expect(summary.computeEnvironments).toEqual([
      { computeEnvironment: 'ce-ondemand', outcome: { kind: 'updated' } },
    ]);
    expect(deps.logger.lines()).not.toContain(PASSWORD);
  });

  it('creates them with the registry secret’s KMS key, and asks for it only when creating', async () => {
    installRegistrySecret(KEY);
    template();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);
    const deps = makeDeps({ settings: TASK });

    await rollout(deps, target);
    await rollout(deps, target);

    expect(secretsMock).toHaveReceivedCommandWith(CreateSecretCommand, { KmsKeyId: KEY });
    expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
  });

  it('writes no credential secret when a compute environment refuses the update', async () => {
    template();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '1', allocationStrategy: 'BEST_FIT' }),
    ]);

    await expect(rollout(makeDeps({ settings: TASK }), target)).rejects.toBeInstanceOf(RolloutError);

    expect(fake.count('ListSecrets')).toBe(0);
    expect(secretsMock).not.toHaveReceivedCommand(CreateSecretCommand);
  });

  it('moves no launch template or compute environment while a credential secret failed', async () => {
    template();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);
    secretsMock.on(CreateSecretCommand, { Name: `${PREFIX}ghcr.io` }).rejectsOnce(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );

    await expect(rollout(makeDeps({ settings: TASK }), target)).rejects.toBeInstanceOf(
      CredentialSecretSyncError,
    );

    expect(ec2Mock).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
  });

  it('writes nothing when V was superseded', async () => {
    template();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);

    const summary = await rollout(makeDeps({ settings: TASK }), {
      ...target,
      supersededBy: async () => 'secret version V2 is AWSCURRENT now',
    });

    expect(summary.superseded).toBe('secret version V2 is AWSCURRENT now');
    expect(summary.credentialSecrets?.map((result) => result.outcome.kind)).toEqual(['skipped', 'skipped']);
    expect(secretsMock).not.toHaveReceivedCommand(CreateSecretCommand);
  });
});

describe('rollout without instances (SPEC §11)', () => {
  beforeEach(() => {
    ec2Mock.reset();
    batchMock.reset();
    secretsMock.reset();
    installRegistrySecret();
  });

  it('with no launch template and a Fargate compute environment: verifies, syncs, reports it not-applicable', async () => {
    installComputeEnvironments(() => [fargate('ce-fargate')]);
    const deps = makeDeps({
      settings: { ...TASK, launchTemplateId: '', computeEnvironments: ['ce-fargate'] },
    });

    const summary = await rollout(deps, target);

    expect(deps.verifier.login).toHaveBeenCalledTimes(2);
    expect(summary).not.toHaveProperty('launchTemplateId');
    expect(summary).not.toHaveProperty('launchTemplateVersion');
    expect(summary).toMatchObject({
      computeEnvironments: [
        {
          computeEnvironment: 'ce-fargate',
          outcome: {
            kind: 'not-applicable',
            reason:
              'it is a Fargate compute environment: no instances; jobs get registry credentials per task',
          },
        },
      ],
    });
    expect(summary.credentialSecrets).toHaveLength(2);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
  });

  it('with nothing configured but the secret: verifies and syncs only', async () => {
    const deps = makeDeps({ settings: { ...TASK, launchTemplateId: '', computeEnvironments: [] } });

    const summary = await rollout(deps, target);

    expect(summary.computeEnvironments).toEqual([]);
    expect(summary.credentialSecrets?.map((result) => result.outcome.kind)).toEqual(['created', 'created']);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock.calls()).toHaveLength(0);
  });

  it('reports a Fargate compute environment not-applicable beside an EC2 one that is updated', async () => {
    template();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '1' }),
      fargate('ce-fargate'),
    ]);
    const deps = makeDeps({ settings: { ...TASK, computeEnvironments: ['ce-ondemand', 'ce-fargate'] } });

    const summary = await rollout(deps, target);

    expect(
      summary.computeEnvironments.map((result) => [result.computeEnvironment, result.outcome.kind]),
    ).toEqual([
      ['ce-ondemand', 'updated'],
      ['ce-fargate', 'not-applicable'],
    ]);
    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 1);
  });

  it('with instance credentials off: touches no launch template or compute environment, only the credential secrets', async () => {
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);
    const deps = makeDeps({ settings: { ...TASK, instanceCredentials: false } });

    const summary = await rollout(deps, target);

    expect(summary.computeEnvironments).toEqual([
      {
        computeEnvironment: 'ce-ondemand',
        outcome: {
          kind: 'not-applicable',
          reason:
            'instance credentials are off (INSTANCE_CREDENTIALS=false): its instances read no registry secret; jobs get registry credentials per task',
        },
      },
    ]);
    expect(summary.credentialSecrets).toHaveLength(2);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
  });

  it('refuses, before writing anything, an EC2 compute environment that needs instance credentials but has no launch template', async () => {
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '1' })]);
    const deps = makeDeps({ settings: { ...TASK, launchTemplateId: '' } });

    const error = await rollout(deps, target).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RolloutError);
    expect((error as RolloutError).summary.computeEnvironments).toEqual([
      {
        computeEnvironment: 'ce-ondemand',
        outcome: {
          kind: 'refused',
          reason: 'no LAUNCH_TEMPLATE_ID is configured, so its instances cannot get the new credentials',
        },
      },
    ]);
    expect((error as RolloutError).message).toBe(
      `Rollout of secret version ${V} changed nothing: ce-ondemand refused: no LAUNCH_TEMPLATE_ID is configured, so its instances cannot get the new credentials`,
    );
    expect(fake.count('ListSecrets')).toBe(0);
  });

  it('with instance credentials off, fails naming a missing compute environment and no launch template version', async () => {
    installComputeEnvironments(() => [fargate('ce-fargate')]);
    const deps = makeDeps({
      settings: { ...TASK, instanceCredentials: false, computeEnvironments: ['ce-fargate', 'ce-gone'] },
    });

    const error = await rollout(deps, target).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RolloutError);
    expect((error as RolloutError).message).toBe(
      `Rollout of secret version ${V} changed nothing: ce-gone failed: no such compute environment`,
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      'rollout summary',
      expect.not.objectContaining({ launchTemplateId: expect.anything() }),
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      'rollout summary',
      expect.not.objectContaining({ launchTemplateVersion: expect.anything() }),
    );
    expect(fake.count('ListSecrets')).toBe(0);
  });
});
