import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { RegistryError } from '../../../lib/registry/client';
import { CredentialCheckError } from '../../../lib/rollout/credentials';
import type { RolloutTarget } from '../../../lib/rollout/rollout';
import {
  NothingStagedError,
  StagedCredentialIssuer,
  StagedValueError,
} from '../../../lib/rotation/credential-issuer';
import {
  parseRotationEvent,
  type RotationDeps,
  RotationError,
  type RotationEvent,
  type RotationStep,
  rotateSecret,
} from '../../../lib/rotation/rotate-secret';
import { loadEvent } from '../../fixtures/events/load';

const secretsMock = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:batch-registry-credentials-AbC123';
const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const PENDING_PASSWORD = 'pending-LEAK-CANARY-91c2';
const PENDING_VALUE = JSON.stringify({
  username: 'bot',
  password: PENDING_PASSWORD,
  registry_url: 'http://127.0.0.1:5000',
});

const STAGING_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:batch-registry-credentials-staging-Qw3Er5';
const CURRENT_VALUE = JSON.stringify({
  registries: [
    { registry_url: 'http://127.0.0.1:5000', username: 'bot', password: 'current-LEAK-CANARY-5d1e' },
  ],
});

function notFound(what: string): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: `Secrets Manager can't find the specified secret value for ${what}`,
    $metadata: { httpStatusCode: 400 },
  });
}

/**
 * Secrets Manager as a rotation sees it: the registry secret's versions with stages and values
 * (the rotation's version holds `pending`, or no value as RotateSecret creates it), the staging
 * secret's AWSCURRENT (`staged`), PutSecretValue filling the rotation's version, stage moves.
 */
function installSecret(
  options: {
    rotationEnabled?: boolean;
    pending?: string | undefined;
    staged?: string | undefined;
    current?: string;
  } = {},
) {
  const stages: Record<string, string[]> = { [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] };
  const values: Record<string, string | undefined> = {
    [CURRENT]: options.current ?? CURRENT_VALUE,
    [TOKEN]: 'pending' in options ? options.pending : PENDING_VALUE,
  };
  secretsMock.on(DescribeSecretCommand).callsFake(() => ({
    ARN,
    Name: 'batch-registry-credentials',
    RotationEnabled: options.rotationEnabled ?? true,
    RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:batch-registry-gateway-rotateSecret',
    RotationRules: { AutomaticallyAfterDays: 30 },
    VersionIdsToStages: structuredClone(stages),
  }));
  secretsMock.on(GetSecretValueCommand).callsFake((input) => {
    if (input.SecretId === STAGING_ARN) {
      if (options.staged === undefined || input.VersionStage !== 'AWSCURRENT')
        throw notFound('staging label: AWSCURRENT');
      return {
        ARN: STAGING_ARN,
        VersionId: 'c0ffee00-0000-4000-8000-000000000001',
        SecretString: options.staged,
        VersionStages: ['AWSCURRENT'],
      };
    }
    const id =
      input.VersionId ??
      Object.keys(stages).find((versionId) =>
        stages[versionId]?.includes(input.VersionStage ?? 'AWSCURRENT'),
      );
    const value = id === undefined ? undefined : values[id];
    if (
      id === undefined ||
      value === undefined ||
      (input.VersionStage && !stages[id]?.includes(input.VersionStage))
    ) {
      throw notFound(`VersionId: ${input.VersionId ?? '(none)'}`);
    }
    return {
      ARN,
      Name: 'batch-registry-credentials',
      VersionId: id,
      SecretString: value,
      VersionStages: stages[id],
    };
  });
  secretsMock.on(PutSecretValueCommand).callsFake((input) => {
    const id = input.ClientRequestToken ?? '';
    if (values[id] !== undefined && values[id] !== input.SecretString) {
      throw new ResourceExistsException({
        message: 'A version with this ID already exists with different content.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    values[id] = input.SecretString;
    return { ARN, Name: 'batch-registry-credentials', VersionId: id, VersionStages: input.VersionStages };
  });
  secretsMock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
    if (input.MoveToVersionId === undefined) {
      const labels = stages[input.RemoveFromVersionId ?? ''] ?? [];
      labels.splice(labels.indexOf(input.VersionStage ?? ''), 1);
      return { ARN, Name: 'batch-registry-credentials' };
    }
    for (const labels of Object.values(stages)) {
      const at = labels.indexOf('AWSCURRENT');
      if (at >= 0) labels.splice(at, 1, 'AWSPREVIOUS');
    }
    stages[input.MoveToVersionId]?.push('AWSCURRENT');
    return { ARN, Name: 'batch-registry-credentials' };
  });
  return { stages, values };
}

function makeDeps(overrides: Partial<RotationDeps> = {}) {
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  const logger = { info: jest.fn(), warn: jest.fn() };
  const rollout = jest.fn().mockResolvedValue(undefined);
  const login = jest.fn().mockResolvedValue(undefined);
  const deps: RotationDeps = {
    secretsManager,
    secretId: 'batch-registry-credentials',
    issuer: new StagedCredentialIssuer(secretsManager, STAGING_ARN),
    verifier: { login },
    verifyCredentials: true,
    rollout,
    logger,
    ...overrides,
  };
  return { deps, logger, rollout, login };
}

function step(Step: RotationStep): RotationEvent {
  return parseRotationEvent({ ...loadEvent('rotationStep'), Step });
}

describe('rotateSecret', () => {
  beforeEach(() => secretsMock.reset());

  describe('standard checks', () => {
    it('refuses to rotate a secret other than the configured one', async () => {
      installSecret();
      const { deps, rollout } = makeDeps({ secretId: 'payments-db' });

      await expect(rotateSecret(deps, step('finishSecret'))).rejects.toThrow(
        `This function rotates payments-db only, not ${ARN}`,
      );
      expect(rollout).not.toHaveBeenCalled();
    });

    it('fails when rotation is not enabled', async () => {
      installSecret({ rotationEnabled: false });
      const { deps } = makeDeps();

      await expect(rotateSecret(deps, step('createSecret'))).rejects.toThrow(
        `Secret ${ARN} is not enabled for rotation`,
      );
    });

    it('fails when the token is not a version of the secret', async () => {
      installSecret();
      const { deps } = makeDeps();

      await expect(
        rotateSecret(deps, { ...step('createSecret'), ClientRequestToken: 'not-a-version' }),
      ).rejects.toThrow(RotationError);
    });

    it('fails when the version is neither AWSCURRENT nor AWSPENDING', async () => {
      const { stages } = installSecret();
      stages[TOKEN] = ['AWSPREVIOUS'];
      const { deps } = makeDeps();

      await expect(rotateSecret(deps, step('testSecret'))).rejects.toThrow('is not AWSPENDING');
    });

    it.each<RotationStep>(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
      'treats %s of a version that is already AWSCURRENT as done',
      async (name) => {
        const { stages } = installSecret();
        stages[TOKEN] = ['AWSCURRENT', 'AWSPENDING'];
        stages[CURRENT] = ['AWSPREVIOUS'];
        const { deps, rollout, login } = makeDeps();

        const result = await rotateSecret(deps, step(name));

        expect(result).toBe('already-current');
        expect(rollout).not.toHaveBeenCalled();
        expect(login).not.toHaveBeenCalled();
        expect(secretsMock).not.toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
          VersionStage: 'AWSCURRENT',
        });
        // Only a finishSecret takes the leftover AWSPENDING off the current version.
        expect(
          secretsMock.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input),
        ).toEqual(
          name === 'finishSecret'
            ? [{ SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN }]
            : [],
        );
      },
    );
  });

  describe('createSecret', () => {
    it('keeps a value already under the rotation token, every time it is called', async () => {
      installSecret({ staged: CURRENT_VALUE });
      const { deps } = makeDeps();

      await rotateSecret(deps, step('createSecret'));
      await rotateSecret(deps, step('createSecret'));

      expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
        SecretId: ARN,
        VersionId: TOKEN,
        VersionStage: 'AWSPENDING',
      });
      expect(secretsMock).not.toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: STAGING_ARN });
      expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it("copies the staged value into RotateSecret's value-less AWSPENDING version under its token (moto PR 8504, checked against AWS); a retry finds it there", async () => {
      const { values } = installSecret({ pending: undefined, staged: PENDING_VALUE });
      const { deps } = makeDeps();

      await rotateSecret(deps, step('createSecret'));
      await rotateSecret(deps, step('createSecret'));

      expect(secretsMock).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
      expect(secretsMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        SecretString: PENDING_VALUE,
        VersionStages: ['AWSPENDING'],
      });
      expect(values[TOKEN]).toBe(PENDING_VALUE);
    });

    it('passes the RotationToken of a cross-account rotation on to PutSecretValue', async () => {
      installSecret({ pending: undefined, staged: PENDING_VALUE });
      const { deps } = makeDeps();

      await rotateSecret(deps, { ...step('createSecret'), RotationToken: 'rotation-token-1' });

      expect(secretsMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
        RotationToken: 'rotation-token-1',
      });
    });

    it('tells the operator how to stage a value, and how to start the rotation again, when nothing is staged', async () => {
      installSecret({ pending: undefined, staged: undefined });
      const { deps } = makeDeps();

      const failure = rotateSecret(deps, step('createSecret'));

      await expect(failure).rejects.toThrow(NothingStagedError);
      await expect(failure).rejects.toThrow(
        `aws secretsmanager put-secret-value --secret-id ${STAGING_ARN} --secret-string file://registry-credentials.json`,
      );
      await expect(failure).rejects.toThrow(
        `aws secretsmanager update-secret-version-stage --secret-id ${ARN} --version-stage AWSPENDING --remove-from-version-id ${TOKEN}`,
      );
      expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it("refuses a staged value that is AWSCURRENT's credentials, in either form", async () => {
      const seedForm = JSON.stringify({
        password: 'current-LEAK-CANARY-5d1e',
        username: 'bot',
        registry_url: 'http://127.0.0.1:5000',
      });
      installSecret({ pending: undefined, staged: seedForm });
      const { deps } = makeDeps();

      const failure = rotateSecret(deps, step('createSecret'));

      await expect(failure).rejects.toThrow(NothingStagedError);
      await expect(failure).rejects.toThrow(`is the current value of ${ARN}`);
      await expect(failure).rejects.not.toThrow(/current-LEAK-CANARY/);
      expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it('rejects a malformed staged value, naming the rule and not the value', async () => {
      installSecret({ pending: undefined, staged: JSON.stringify({ username: 'bot', password: '' }) });
      const { deps } = makeDeps();

      const failure = rotateSecret(deps, step('createSecret'));

      await expect(failure).rejects.toThrow(StagedValueError);
      await expect(failure).rejects.toThrow(/password/);
      expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it('never quotes the staged value, in the error or the log, when it is malformed around a password', async () => {
      installSecret({
        pending: undefined,
        staged: JSON.stringify({ username: `bot:${PENDING_PASSWORD}`, password: PENDING_PASSWORD }),
      });
      const { deps, logger } = makeDeps();

      const failure = await rotateSecret(deps, step('createSecret')).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(StagedValueError);
      expect(String(failure)).not.toContain(PENDING_PASSWORD);
      expect(JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls])).not.toContain(
        PENDING_PASSWORD,
      );
    });

    it('says the staging secret is not configured when REGISTRY_STAGING_SECRET_ARN is missing', async () => {
      installSecret({ pending: undefined, staged: PENDING_VALUE });
      const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
      const { deps } = makeDeps({
        secretsManager,
        issuer: new StagedCredentialIssuer(secretsManager, undefined),
      });

      await expect(rotateSecret(deps, step('createSecret'))).rejects.toThrow(
        'No staging secret is configured (REGISTRY_STAGING_SECRET_ARN)',
      );
    });
  });

  describe('setSecret', () => {
    it('changes nothing, since registry credentials are issued by the registry', async () => {
      installSecret();
      const { deps, logger } = makeDeps();

      await expect(rotateSecret(deps, step('setSecret'))).resolves.toBe('done');

      expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
      expect(secretsMock.calls()).toHaveLength(1);
      expect(logger.info).toHaveBeenCalled();
    });
  });

  describe('testSecret', () => {
    it('logs in to every registry with the pending credentials, every time it is called', async () => {
      installSecret();
      const { deps, login } = makeDeps();

      await rotateSecret(deps, step('testSecret'));
      await rotateSecret(deps, step('testSecret'));

      expect(login).toHaveBeenCalledTimes(2);
      expect(login).toHaveBeenCalledWith(
        expect.objectContaining({ name: '127.0.0.1:5000', scheme: 'http' }),
        {
          username: 'bot',
          password: PENDING_PASSWORD,
        },
      );
    });

    it('fails naming the registry that refused the pending credentials', async () => {
      installSecret();
      const login = jest
        .fn()
        .mockRejectedValue(new RegistryError('unauthorized', '127.0.0.1:5000', 401, 'refused (HTTP 401)'));
      const { deps, logger } = makeDeps({ verifier: { login } });

      const failure = rotateSecret(deps, step('testSecret'));

      await expect(failure).rejects.toThrow(CredentialCheckError);
      await expect(failure).rejects.toThrow('127.0.0.1:5000 (HTTP 401: unauthorized)');
      expect(JSON.stringify(logger.info.mock.calls)).not.toContain(PENDING_PASSWORD);
    });

    it.each([
      ["has no value (a new stack's empty secret)", undefined],
      ["holds AWSCURRENT's value", CURRENT_VALUE],
    ])(
      "passes Secrets Manager's configuration test (RotateImmediatelyOnUpdate false: testSecret on an AWSPENDING version it creates) without contacting a registry when the version %s",
      async (_case, pending) => {
        installSecret({ pending });
        const login = jest
          .fn()
          .mockRejectedValue(new RegistryError('unreachable', '127.0.0.1:5000', undefined, 'down'));
        const { deps, logger } = makeDeps({ verifier: { login } });

        await expect(rotateSecret(deps, step('testSecret'))).resolves.toBe('done');

        expect(login).not.toHaveBeenCalled();
        expect(JSON.stringify(logger.info.mock.calls)).toContain('configuration test');
      },
    );

    it('checks only the shape when VERIFY_CREDENTIALS is false', async () => {
      installSecret();
      const { deps, login, logger } = makeDeps({ verifyCredentials: false });

      await rotateSecret(deps, step('testSecret'));

      expect(login).not.toHaveBeenCalled();
      expect(logger.warn).toHaveBeenCalled();
    });
  });

  describe('finishSecret', () => {
    it('rolls the pending version out, then moves AWSCURRENT to it; a repeat is a no-op', async () => {
      const { stages } = installSecret();
      const order: string[] = [];
      const rollout = jest.fn(async () => {
        order.push('rollout');
        return undefined;
      });
      secretsMock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
        if (input.MoveToVersionId === undefined) {
          order.push(`remove ${input.VersionStage}`);
          stages[TOKEN] = ['AWSCURRENT'];
        } else {
          order.push('move');
          stages[CURRENT] = ['AWSPREVIOUS'];
          stages[input.MoveToVersionId] = ['AWSCURRENT', 'AWSPENDING'];
        }
        return { ARN, Name: 'batch-registry-credentials' };
      });
      const { deps } = makeDeps({ rollout });

      await rotateSecret(deps, step('finishSecret'));
      const repeat = await rotateSecret(deps, step('finishSecret'));

      expect(order).toEqual(['rollout', 'move', 'remove AWSPENDING']);
      expect(rollout).toHaveBeenCalledWith({
        secretArn: ARN,
        secretVersionId: TOKEN,
        supersededBy: expect.any(Function),
      });
      expect(secretsMock).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
        SecretId: ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: CURRENT,
      });
      expect(secretsMock).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
        SecretId: ARN,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: TOKEN,
      });
      expect(repeat).toBe('already-current');
      expect(secretsMock).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 2);
    });

    it('leaves AWSCURRENT where it is when the rollout fails', async () => {
      const { stages } = installSecret();
      const rollout = jest.fn().mockRejectedValue(new Error('ce-legacy refused'));
      const { deps } = makeDeps({ rollout });

      await expect(rotateSecret(deps, step('finishSecret'))).rejects.toThrow('ce-legacy refused');

      expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
      expect(stages[CURRENT]).toEqual(['AWSCURRENT']);
    });

    it('stops when an operator made another version current during the rotation', async () => {
      const { stages } = installSecret();
      const manual = 'c0ffee00-1234-4abc-9def-0123456789ab';
      const rollout = jest.fn(async (target: RolloutTarget) => {
        stages[CURRENT] = ['AWSPREVIOUS'];
        stages[manual] = ['AWSCURRENT'];
        const superseded = await target.supersededBy?.();
        return superseded === undefined ? undefined : { superseded };
      });
      const { deps } = makeDeps({ rollout });

      await expect(rotateSecret(deps, step('finishSecret'))).rejects.toThrow(
        `superseded: AWSCURRENT moved to version ${manual} during the rotation`,
      );

      expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    });

    it('does not move AWSCURRENT when the pending version was superseded during the rollout', async () => {
      const { stages } = installSecret();
      const rollout = jest.fn(async (target: RolloutTarget) => {
        const whilePending = await target.supersededBy?.();
        stages[TOKEN] = [];
        const superseded = await target.supersededBy?.();
        expect(whilePending).toBeUndefined();
        return superseded === undefined ? undefined : { superseded };
      });
      const { deps } = makeDeps({ rollout });

      await expect(rotateSecret(deps, step('finishSecret'))).rejects.toThrow(
        `finishSecret stopped before moving AWSCURRENT: superseded: version ${TOKEN} is no longer AWSPENDING`,
      );

      expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
      expect(stages[CURRENT]).toEqual(['AWSCURRENT']);
    });
  });

  describe('parseRotationEvent', () => {
    it('accepts the event Secrets Manager sends', () => {
      expect(parseRotationEvent(loadEvent('rotationStep'))).toEqual({
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        Step: 'createSecret',
      });
    });

    it('rejects an unknown step, naming the field', () => {
      expect(() => parseRotationEvent({ ...loadEvent('rotationStep'), Step: 'rollbackSecret' })).toThrow(
        'Not a Secrets Manager rotation event: check Step',
      );
    });
  });
});
