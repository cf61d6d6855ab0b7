import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { RegistryError } from '../../lib/registry/client';
import { CredentialCheckError } from '../../lib/rollout/credentials';
import { rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { StagedCredentialIssuer } from '../../lib/rotation/credential-issuer';
import { type RotationDeps, type RotationStep, rotateSecret } from '../../lib/rotation/rotate-secret';
import { makeDeps, recordingLogger, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import {
  type AwsCall,
  batchMock,
  ec2Mock,
  type FakeAws,
  midRotationFake,
  SECRET_ARN,
  secretsMock,
  throttledFor,
  withDeadline,
} from './fake-aws';

// finishSecret rolls the pending version out first and moves AWSCURRENT only after the fleet
// took it. Whatever fails on the way, the old credentials stay current, and the retry Secrets
// Manager makes finishes the rotation with one launch template version.

const OLD = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot'];
const NEW_SECRET = SECRET_STRING.replaceAll('pw-LEAK-CANARY-7f3a', 'pw-rotated-2b9d');

function newFake(): FakeAws {
  return midRotationFake(ENVIRONMENTS, { current: OLD, pending: TOKEN, pendingValue: NEW_SECRET });
}

function rotationDeps(login: jest.Mock = jest.fn().mockResolvedValue(undefined)): RotationDeps {
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  const rolloutDeps = makeDeps({
    renderUserData,
    secretsManager,
    verifier: { login },
    settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS },
    backoff: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
  });
  return {
    secretsManager,
    secretId: SECRET_ARN,
    issuer: new StagedCredentialIssuer(secretsManager, 'batch-registry-credentials-staging'),
    verifier: { login },
    verifyCredentials: true,
    rollout: (target) => rollout(rolloutDeps, target),
    logger: recordingLogger(),
  };
}

const event = (Step: RotationStep) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });

function expectOldCredentialsCurrent(fake: FakeAws): void {
  expect(fake.currentVersion()).toBe(OLD);
  expect(fake.secretVersions.get(TOKEN)?.stages).toEqual(['AWSPENDING']);
  expect(fake.journal.filter((entry) => entry.startsWith('UpdateSecretVersionStage'))).toEqual([]);
}

function expectRotated(fake: FakeAws): void {
  expect(fake.currentVersion()).toBe(TOKEN);
  expect(fake.secretVersions.get(OLD)?.stages).toEqual(['AWSPREVIOUS']);
  expect(fake.versionsFor(TOKEN)).toHaveLength(1);
  const version = String(fake.versionsFor(TOKEN)[0]?.versionNumber);
  for (const name of ENVIRONMENTS) expect(fake.environmentVersion(name)).toBe(version);
  // AWSCURRENT moved last, after every environment took the new version.
  const stageMove = fake.journal.indexOf(`UpdateSecretVersionStage AWSCURRENT→${TOKEN}`);
  const lastUpdate = Math.max(
    ...ENVIRONMENTS.map((name) => fake.journal.lastIndexOf(`UpdateComputeEnvironment ${name}=${version}`)),
  );
  expect(lastUpdate).toBeGreaterThanOrEqual(0);
  expect(stageMove).toBeGreaterThan(lastUpdate);
  // Then AWSPENDING comes off it, so a later RotateSecret does not find a rotation in progress.
  expect(fake.journal.slice(stageMove + 1)).toEqual([
    `UpdateSecretVersionStage AWSPENDING removed from ${TOKEN}`,
  ]);
  expect(fake.secretVersions.get(TOKEN)?.stages).toEqual(['AWSCURRENT']);
}

describe('rotation finishSecret under faults', () => {
  it.each<[AwsCall, number]>([
    ['DescribeSecret', 0],
    ['GetSecretValue', 0],
    ['DescribeLaunchTemplateVersions', 0],
    ['CreateLaunchTemplateVersion', 0],
    ['ModifyLaunchTemplate', 0],
    ['DescribeComputeEnvironments', 0],
    ['UpdateComputeEnvironment', 0],
    ['UpdateComputeEnvironment', 1],
  ])(
    'keeps the old credentials current when %s (after %i calls) is throttled; the retry moves AWSCURRENT',
    async (call, pass) => {
      const fake = newFake();
      fake.inject(call, { kind: 'reject', error: throttledFor(call) }, { pass });
      const deps = rotationDeps();

      await expect(rotateSecret(deps, event('finishSecret'))).rejects.toThrow();
      expectOldCredentialsCurrent(fake);
      fake.clearFaults();
      const retried = await rotateSecret(deps, event('finishSecret'));
      const again = await rotateSecret(deps, event('finishSecret'));

      expect([retried, again]).toEqual(['done', 'already-current']);
      expect(
        secretsMock
          .commandCalls(UpdateSecretVersionStageCommand)
          .filter((call) => call.args[0].input.VersionStage === 'AWSCURRENT'),
      ).toHaveLength(1);
      expectRotated(fake);
    },
  );

  it('keeps the old credentials current and touches neither EC2 nor Batch when a registry refuses the new ones', async () => {
    const fake = newFake();
    const login = jest
      .fn()
      .mockRejectedValue(
        new RegistryError(
          'unauthorized',
          'registry.example.com',
          401,
          'registry registry.example.com refused the credentials (login: HTTP 401)',
        ),
      );

    const failure = rotateSecret(rotationDeps(login), event('finishSecret'));

    await expect(failure).rejects.toThrow(CredentialCheckError);
    await expect(failure).rejects.toThrow('registry.example.com (HTTP 401: unauthorized)');
    expectOldCredentialsCurrent(fake);
    expect(fake.journal).toEqual([]);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock.calls()).toHaveLength(0);
  });

  it('keeps the old credentials current while an environment refuses the update, and finishes once it is fixed', async () => {
    const fake = newFake();
    const spot = fake.environments.get('ce-spot');
    if (spot?.computeResources) spot.computeResources.allocationStrategy = 'BEST_FIT';
    const deps = rotationDeps();

    await expect(rotateSecret(deps, event('finishSecret'))).rejects.toThrow(
      /ce-spot refused: its allocation strategy is BEST_FIT/,
    );
    expectOldCredentialsCurrent(fake);
    if (spot?.computeResources) spot.computeResources.allocationStrategy = 'BEST_FIT_PROGRESSIVE';
    await rotateSecret(deps, event('finishSecret'));

    expectRotated(fake);
  });

  it('rolls out once and moves AWSCURRENT on the retry when the stage move itself is throttled', async () => {
    const fake = newFake();
    fake.inject('UpdateSecretVersionStage', {
      kind: 'reject',
      error: throttledFor('UpdateSecretVersionStage'),
    });
    const deps = rotationDeps();

    await expect(rotateSecret(deps, event('finishSecret'))).rejects.toThrow('Rate exceeded');
    expectOldCredentialsCurrent(fake);
    await rotateSecret(deps, event('finishSecret'));

    expect(fake.appliedUpdates).toHaveLength(ENVIRONMENTS.length);
    expectRotated(fake);
  });

  it('treats a retry after a lost stage-move response as done', async () => {
    const fake = newFake();
    fake.inject('UpdateSecretVersionStage', { kind: 'lose-response', error: new Error('socket hang up') });
    const deps = rotationDeps();

    await expect(rotateSecret(deps, event('finishSecret'))).rejects.toThrow('socket hang up');
    const retried = await rotateSecret(deps, event('finishSecret'));

    expect(retried).toBe('already-current');
    expectRotated(fake);
  });

  it('keeps the old credentials current when the Lambda times out mid-rollout, and the retry finishes', async () => {
    const fake = newFake();
    fake.inject('UpdateComputeEnvironment', { kind: 'hang', afterEffect: true }, { pass: 1 });
    const deps = rotationDeps();

    await expect(withDeadline(rotateSecret(deps, event('finishSecret')), 50)).rejects.toThrow(
      'Task timed out',
    );
    expectOldCredentialsCurrent(fake);
    await rotateSecret(deps, event('finishSecret'));

    expectRotated(fake);
  });

  it('runs all four steps, each throttled once on its first call and retried, to one rotated version', async () => {
    const fake = newFake();
    const deps = rotationDeps();

    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      fake.inject('DescribeSecret', { kind: 'reject', error: throttledFor('DescribeSecret') });
      await expect(rotateSecret(deps, event(step))).rejects.toThrow('Rate exceeded');
      if (step !== 'finishSecret') expectOldCredentialsCurrent(fake);
      await rotateSecret(deps, event(step));
    }

    expectRotated(fake);
  });
});
