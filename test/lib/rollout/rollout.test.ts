import { ClientException, ServerException, UpdateComputeEnvironmentCommand } from '@aws-sdk/client-batch';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { RegistryError } from '../../../lib/registry/client';
import { CredentialCheckError } from '../../../lib/rollout/credentials';
import { versionDescriptionFor } from '../../../lib/rollout/launch-template';
import { RolloutError, rollout } from '../../../lib/rollout/rollout';
import {
  batchMock,
  computeEnvironment,
  ec2Mock,
  FakeLaunchTemplate,
  installComputeEnvironments,
  installSecret,
  LT_ID,
  makeDeps,
  PASSWORD,
  RENDERED_USER_DATA,
  SECRET_ARN,
  SETTINGS,
  secretsMock,
} from './fakes';

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const target = { secretArn: SECRET_ARN, secretVersionId: V };
const OVERRIDES = [
  { launchTemplateId: 'lt-0fedcba9876543210', version: '7', targetInstanceTypes: ['g5.xlarge'] },
];

function baseTemplate(): FakeLaunchTemplate {
  return new FakeLaunchTemplate(
    [
      { versionNumber: 1, description: 'initial' },
      { versionNumber: 2, description: versionDescriptionFor('older-version') },
      { versionNumber: 3, description: versionDescriptionFor('previous-version') },
    ],
    3,
  );
}

describe('rollout', () => {
  beforeEach(() => {
    ec2Mock.reset();
    batchMock.reset();
    secretsMock.reset();
    installSecret(V);
  });

  it('creates a version from the default, makes it default and updates the compute environment with its overrides', async () => {
    const template = baseTemplate();
    template.install();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '3', overrides: OVERRIDES }),
    ]);
    const deps = makeDeps();

    const summary = await rollout(deps, target);

    expect(deps.verifier.login).toHaveBeenCalledTimes(2);
    expect(deps.renderUserData).toHaveBeenCalledWith({
      secretArn: SECRET_ARN,
      secretVersion: { versionId: V },
    });
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 1);
    const create = ec2Mock.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      LaunchTemplateId: LT_ID,
      SourceVersion: '3',
      VersionDescription: versionDescriptionFor(V),
      LaunchTemplateData: { UserData: Buffer.from(RENDERED_USER_DATA).toString('base64') },
    });
    expect(create?.ClientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyLaunchTemplateCommand, {
      LaunchTemplateId: LT_ID,
      DefaultVersion: '4',
    });
    expect(batchMock).toHaveReceivedCommandWith(UpdateComputeEnvironmentCommand, {
      computeEnvironment: 'arn:aws:batch:us-east-1:123456789012:compute-environment/ce-ondemand',
      computeResources: { launchTemplate: { launchTemplateId: LT_ID, version: '4', overrides: OVERRIDES } },
      updatePolicy: { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 },
    });
    expect(summary).toMatchObject({
      launchTemplateVersion: 4,
      createdLaunchTemplateVersion: true,
      computeEnvironments: [{ computeEnvironment: 'ce-ondemand', outcome: { kind: 'updated' } }],
    });
    expect(template.defaultVersion).toBe(4);
  });

  it('reuses the version that names V and changes nothing when everything is already on it', async () => {
    const template = baseTemplate();
    template.versions.push({ versionNumber: 4, description: versionDescriptionFor(V) });
    template.defaultVersion = 4;
    template.install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '4' })]);
    const deps = makeDeps();

    const summary = await rollout(deps, target);

    expect(ec2Mock).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(ModifyLaunchTemplateCommand);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    expect(deps.renderUserData).not.toHaveBeenCalled();
    expect(summary.createdLaunchTemplateVersion).toBe(false);
    expect(summary.computeEnvironments[0]?.outcome).toEqual({
      kind: 'skipped',
      reason: 'it already uses launch template version 4',
    });
  });

  it('completes on retry without a second version when it failed after creating the version', async () => {
    const template = baseTemplate();
    template.install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    batchMock
      .on(UpdateComputeEnvironmentCommand)
      .rejectsOnce(new ServerException({ message: 'Service unavailable', $metadata: {} }))
      .resolves({ computeEnvironmentName: 'ce-ondemand' });
    const deps = makeDeps();

    await expect(rollout(deps, target)).rejects.toThrow(
      'ce-ondemand failed: ServerException: Service unavailable',
    );
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 1);
    const summary = await rollout(deps, target);

    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 1);
    expect(template.versions.map((v) => v.versionNumber)).toEqual([1, 2, 3, 4]);
    expect(summary).toMatchObject({ launchTemplateVersion: 4, createdLaunchTemplateVersion: false });
    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 2);
  });

  it('waits with back-off while a compute environment is UPDATING, then updates it when VALID', async () => {
    baseTemplate().install();
    const states = ['UPDATING', 'UPDATING', 'VALID'] as const;
    let describes = 0;
    installComputeEnvironments(() => {
      const status = states[Math.min(describes, states.length - 1)];
      describes += 1;
      return [computeEnvironment('ce-ondemand', { version: '3', status })];
    });
    const deps = makeDeps({ backoff: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 1500 } });

    const summary = await rollout(deps, target);

    expect(deps.sleeps).toEqual([1000, 1500]);
    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 1);
    expect(summary.computeEnvironments[0]?.outcome).toEqual({ kind: 'updated' });
  });

  it('finds it done when Batch refuses the update (ClientException) because an overlapping rollout made the environment UPDATING', async () => {
    baseTemplate().install();
    // As described before this run's update; then as the overlapping run left it.
    const states = [
      computeEnvironment('ce-ondemand', { version: '3' }),
      computeEnvironment('ce-ondemand', { version: '4', status: 'UPDATING' }),
    ];
    let describes = 0;
    installComputeEnvironments(() => states.slice(Math.min(describes++, states.length - 1)).slice(0, 1));
    batchMock.on(UpdateComputeEnvironmentCommand).rejects(
      new ClientException({
        message: 'Cannot update compute environment ce-ondemand: it is in UPDATING status',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const deps = makeDeps({ backoff: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 1500 } });

    const summary = await rollout(deps, target);

    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 1);
    expect(deps.sleeps).toEqual([]);
    expect(summary.computeEnvironments[0]?.outcome).toEqual({
      kind: 'skipped',
      reason: 'it already uses launch template version 4',
    });
  });

  it('fails the environment when Batch refuses the update for another reason', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    batchMock.on(UpdateComputeEnvironmentCommand).rejects(
      new ClientException({
        message: 'Instance type p9.huge is not supported',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(rollout(makeDeps(), target)).rejects.toThrow(
      'ce-ondemand failed: ClientException: Instance type p9.huge is not supported',
    );
  });

  it('creates a new version from the default when an older version names V but a redeploy made a newer one', async () => {
    new FakeLaunchTemplate(
      [
        { versionNumber: 1, description: 'initial' },
        { versionNumber: 2, description: versionDescriptionFor(V) },
        { versionNumber: 3, description: 'redeployed: new AMI' },
      ],
      3,
    ).install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);

    const summary = await rollout(makeDeps(), target);

    expect(ec2Mock).toHaveReceivedCommandWith(CreateLaunchTemplateVersionCommand, { SourceVersion: '3' });
    expect(summary).toMatchObject({ launchTemplateVersion: 4, createdLaunchTemplateVersion: true });
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyLaunchTemplateCommand, { DefaultVersion: '4' });
  });

  it('moves nothing when V is superseded before the default version would move', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps();
    const supersededBy = jest.fn().mockResolvedValue('superseded: AWSCURRENT is now version v-next');

    const summary = await rollout(deps, { ...target, supersededBy });

    expect(supersededBy).toHaveBeenCalledTimes(1);
    expect(ec2Mock).not.toHaveReceivedCommand(ModifyLaunchTemplateCommand);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    expect(summary.superseded).toBe('superseded: AWSCURRENT is now version v-next');
    expect(summary.computeEnvironments).toEqual([
      {
        computeEnvironment: 'ce-ondemand',
        outcome: { kind: 'skipped', reason: 'superseded: AWSCURRENT is now version v-next' },
      },
    ]);
  });

  it('does not update a compute environment after a wait if V was superseded meanwhile', async () => {
    baseTemplate().install();
    const states = ['UPDATING', 'VALID'] as const;
    let describes = 0;
    installComputeEnvironments(() => {
      const status = states[Math.min(describes, states.length - 1)];
      describes += 1;
      return [computeEnvironment('ce-ondemand', { version: '3', status })];
    });
    const deps = makeDeps({ backoff: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 1500 } });
    const supersededBy = jest
      .fn()
      .mockResolvedValueOnce(undefined)
      .mockResolvedValue('superseded: AWSCURRENT is now version v-next');

    const summary = await rollout(deps, { ...target, supersededBy });

    expect(ec2Mock).toHaveReceivedCommandTimes(ModifyLaunchTemplateCommand, 1);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    expect(summary.computeEnvironments[0]?.outcome).toEqual({
      kind: 'skipped',
      reason: 'superseded: AWSCURRENT is now version v-next',
    });
  });

  it('asks whether V is superseded only before moving things, not on the straight path', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const supersededBy = jest.fn().mockResolvedValue(undefined);

    await rollout(makeDeps(), { ...target, supersededBy });

    expect(supersededBy).toHaveBeenCalledTimes(1);
    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 1);
  });

  it('waits as long as the invocation has time left when it knows it, keeping a reserve', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '3', status: 'UPDATING' }),
    ]);
    let remaining = 10 * 60_000;
    const deps = makeDeps({
      backoff: { attempts: 2, initialDelayMs: 5_000, maxDelayMs: 40_000 },
      remainingMs: () => remaining,
      sleep: async (ms: number) => {
        remaining -= ms;
      },
    });

    await expect(rollout(deps, target)).rejects.toThrow('ce-ondemand failed: it is UPDATING after');

    // 5 + 10 + 20 + 40 × 12 s slept: far beyond 2 attempts, never into the last minute.
    expect(remaining).toBeGreaterThanOrEqual(60_000);
    expect(remaining).toBeLessThan(60_000 + 40_000);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
  });

  it('gives up with a clear failure when a compute environment stays UPDATING', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '3', status: 'UPDATING' }),
    ]);
    const deps = makeDeps({ backoff: { attempts: 3, initialDelayMs: 10, maxDelayMs: 100 } });

    const failure = rollout(deps, target);

    await expect(failure).rejects.toThrow(RolloutError);
    await expect(failure).rejects.toThrow(
      `Rollout of secret version ${V} to launch template ${LT_ID} version 4 is incomplete: ce-ondemand failed: it is UPDATING after 3 checks`,
    );
    expect(deps.sleeps).toEqual([10, 20, 40]);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
  });

  it('refuses a BEST_FIT compute environment by name before changing anything, logs the summary and throws', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [
      computeEnvironment('ce-ondemand', { version: '3' }),
      computeEnvironment('ce-legacy', { version: '3', allocationStrategy: 'BEST_FIT' }),
    ]);
    const deps = makeDeps({ settings: { ...SETTINGS, computeEnvironments: ['ce-ondemand', 'ce-legacy'] } });

    const failure = rollout(deps, target);

    await expect(failure).rejects.toThrow(
      new RegExp(
        `^Rollout of secret version ${V} changed nothing \\(launch template ${LT_ID} stays on version 3\\): ce-legacy refused: its allocation strategy is BEST_FIT`,
      ),
    );
    // Nothing moved: the fleet is never left half on the new version.
    expect(ec2Mock).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(ModifyLaunchTemplateCommand);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    expect(deps.logger.info).toHaveBeenCalledWith(
      'rollout summary',
      expect.objectContaining({
        secretVersionId: V,
        blocked: true,
        launchTemplateVersion: 3,
        computeEnvironments: [
          {
            computeEnvironment: 'ce-ondemand',
            kind: 'skipped',
            reason: 'nothing changed while ce-legacy cannot take the update',
          },
          expect.objectContaining({ computeEnvironment: 'ce-legacy', kind: 'refused' }),
        ],
      }),
    );
  });

  it('reports a configured compute environment that does not exist as failed', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => []);
    const deps = makeDeps();

    await expect(rollout(deps, target)).rejects.toThrow('ce-ondemand failed: no such compute environment');
  });

  it('prunes old versions but never the default, the new one or one a compute environment uses', async () => {
    const template = new FakeLaunchTemplate(
      [1, 2, 3, 4, 5, 6].map((n) => ({ versionNumber: n, description: versionDescriptionFor(`v${n}`) })),
      6,
    );
    template.install();
    const environments = [
      computeEnvironment('ce-ondemand', { version: '5' }),
      // Not configured, but uses version 2 of the same launch template through an override.
      computeEnvironment('ce-other', {
        version: '$Default',
        launchTemplateId: 'lt-0fedcba9876543210',
        overrides: [{ launchTemplateId: LT_ID, version: '2', targetInstanceTypes: ['c6i'] }],
      }),
    ];
    installComputeEnvironments(() => environments);
    const deps = makeDeps({ settings: { ...SETTINGS, keepLaunchTemplateVersions: 2 } });

    const summary = await rollout(deps, target);

    expect(ec2Mock).toHaveReceivedCommandWith(DeleteLaunchTemplateVersionsCommand, {
      LaunchTemplateId: LT_ID,
      Versions: ['1', '3', '4'],
    });
    expect(summary.prunedVersions).toEqual([1, 3, 4]);
    expect(template.versions.map((v) => v.versionNumber)).toEqual([2, 5, 6, 7]);
    expect(template.defaultVersion).toBe(7);
  });

  it('logs versions EC2 would not delete as warnings and still succeeds', async () => {
    const template = new FakeLaunchTemplate(
      [1, 2, 3].map((n) => ({ versionNumber: n, description: undefined })),
      3,
    );
    template.install();
    ec2Mock.on(DeleteLaunchTemplateVersionsCommand).resolves({
      SuccessfullyDeletedLaunchTemplateVersions: [],
      UnsuccessfullyDeletedLaunchTemplateVersions: [
        {
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: 'batch-registry-gateway',
          VersionNumber: 1,
          ResponseError: { Code: 'launchTemplateVersionDoesNotExist', Message: 'The version does not exist' },
        },
      ],
    });
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps({ settings: { ...SETTINGS, keepLaunchTemplateVersions: 1 } });

    const summary = await rollout(deps, target);

    expect(ec2Mock).toHaveReceivedCommandWith(DeleteLaunchTemplateVersionsCommand, { Versions: ['1', '2'] });
    expect(summary.prunedVersions).toEqual([]);
    expect(deps.logger.warn).toHaveBeenCalledWith(
      'launch template version not deleted',
      expect.objectContaining({ launchTemplateVersion: 1, code: 'launchTemplateVersionDoesNotExist' }),
    );
  });

  it('treats a failed prune as a warning, not a failed rollout', async () => {
    baseTemplate().install();
    ec2Mock
      .on(DeleteLaunchTemplateVersionsCommand)
      .rejects(new Error('DeleteLaunchTemplateVersions is not implemented'));
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps({ settings: { ...SETTINGS, keepLaunchTemplateVersions: 1 } });

    const summary = await rollout(deps, target);

    expect(summary.computeEnvironments[0]?.outcome).toEqual({ kind: 'updated' });
    expect(deps.logger.warn).toHaveBeenCalledWith(
      'pruning launch template versions failed; the rollout itself succeeded',
      expect.objectContaining({ launchTemplateId: LT_ID }),
    );
  });

  it('changes nothing when a registry refuses the credentials, naming the registry and status', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const login = jest.fn(async (registry: { name: string }) => {
      if (registry.name === 'ghcr.io') {
        throw new RegistryError('unauthorized', 'ghcr.io', 401, 'ghcr.io refused the credentials (HTTP 401)');
      }
    });
    const deps = makeDeps({ verifier: { login } });

    const failure = rollout(deps, target);

    await expect(failure).rejects.toThrow(CredentialCheckError);
    await expect(failure).rejects.toThrow('Registry login failed: ghcr.io (HTTP 401: unauthorized)');
    expect(ec2Mock).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(ModifyLaunchTemplateCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteLaunchTemplateVersionsCommand);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    await failure.catch((error: unknown) => {
      expect(JSON.stringify(error)).not.toContain(PASSWORD);
      expect(String(error)).not.toContain(PASSWORD);
    });
  });

  it('skips the logins when VERIFY_CREDENTIALS is false', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps({ settings: { ...SETTINGS, verifyCredentials: false } });

    await rollout(deps, target);

    expect(deps.verifier.login).not.toHaveBeenCalled();
    expect(batchMock).toHaveReceivedCommandTimes(UpdateComputeEnvironmentCommand, 1);
  });

  it('logs identifiers only, never a password or the user data', async () => {
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps();

    await rollout(deps, target);

    const lines = deps.logger.lines();
    expect(lines).toContain(V);
    expect(lines).not.toContain(PASSWORD);
    expect(lines).not.toContain('multipart');
  });

  it('lets a malformed secret version stop the rollout before anything changes', async () => {
    secretsMock.reset();
    installSecret(V, '{"username":"bot"}');
    baseTemplate().install();
    installComputeEnvironments(() => [computeEnvironment('ce-ondemand', { version: '3' })]);
    const deps = makeDeps();

    await expect(rollout(deps, target)).rejects.toMatchObject({ name: 'SecretFormatError' });
    expect(ec2Mock).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
  });
});
