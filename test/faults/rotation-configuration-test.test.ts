import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { RegistryError } from '../../lib/registry/client';
import { StagedCredentialIssuer } from '../../lib/rotation/credential-issuer';
import { parseRotationEvent, rotateSecret } from '../../lib/rotation/rotate-secret';
import { recordingLogger } from '../lib/rollout/fakes';

// Secrets Manager's configuration test, as the RotateSecret API reference documents it: with
// RotateImmediately false (CloudFormation's RotateImmediatelyOnUpdate: false, this stack's
// RegistrySecretRotation), "Secrets Manager tests the rotation configuration by running the
// testSecret step of the Lambda rotation function. The test creates an AWSPENDING version of the
// secret and then removes it." If the step fails, RotateSecret fails and so does the deploy. moto
// does not run it (moto issue 7342); this fake does, on every registry unreachable.

const secretsMock = mockClient(SecretsManagerClient);
const ARN =
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:batch-registry-gateway-prod-registry-credentials-AbCdEf';
const NAME = 'batch-registry-gateway-prod-registry-credentials';
const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const CURRENT_VALUE = JSON.stringify({
  registry_url: 'ghcr.io',
  username: 'bot',
  password: 'ghp_config-test-1',
});

interface Version {
  value: string | undefined;
  stages: string[];
}

/** The registry secret and what RotateSecret with RotateImmediately false does to it. */
class ConfigurationTestSecretsManager {
  readonly versions = new Map<string, Version>();
  rotationEnabled = false;

  constructor(current: string | undefined) {
    if (current !== undefined) this.versions.set(CURRENT, { value: current, stages: ['AWSCURRENT'] });
    secretsMock.on(DescribeSecretCommand).callsFake(() => ({
      ARN,
      Name: NAME,
      RotationEnabled: this.rotationEnabled,
      VersionIdsToStages: Object.fromEntries([...this.versions].map(([id, v]) => [id, [...v.stages]])),
    }));
    secretsMock.on(GetSecretValueCommand).callsFake((input) => {
      const entry = [...this.versions].find(
        ([id, version]) =>
          (input.VersionId === undefined || input.VersionId === id) &&
          version.stages.includes(
            input.VersionStage ?? (input.VersionId ? (version.stages[0] ?? '') : 'AWSCURRENT'),
          ),
      );
      if (!entry || entry[1].value === undefined) {
        throw new ResourceNotFoundException({
          message: `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId ?? ''}`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      return {
        ARN,
        Name: NAME,
        VersionId: entry[0],
        SecretString: entry[1].value,
        VersionStages: entry[1].stages,
      };
    });
  }

  /**
   * RotateSecret(RotateImmediately=false): rotation configured, an AWSPENDING version under a token
   * Secrets Manager chooses (`pendingValue`), testSecret invoked, the version removed again.
   */
  async rotateSecretWithoutRotating(
    invoke: (event: unknown) => Promise<unknown>,
    pendingValue: 'no value' | "AWSCURRENT's value",
  ): Promise<void> {
    this.rotationEnabled = true;
    const token = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f';
    const value = pendingValue === 'no value' ? undefined : this.versions.get(CURRENT)?.value;
    this.versions.set(token, { value, stages: ['AWSPENDING'] });
    try {
      await invoke({ SecretId: ARN, ClientRequestToken: token, Step: 'testSecret' });
    } finally {
      this.versions.delete(token);
    }
  }
}

function rotationFunction() {
  const secretsManager = new SecretsManagerClient({ region: 'eu-west-1' });
  const login = jest
    .fn()
    .mockRejectedValue(new RegistryError('unreachable', 'ghcr.io', undefined, 'connect ETIMEDOUT'));
  const invoke = (event: unknown) =>
    rotateSecret(
      {
        secretsManager,
        secretId: ARN,
        issuer: new StagedCredentialIssuer(secretsManager, `${NAME}-staging`),
        verifier: { login },
        verifyCredentials: true,
        rollout: jest.fn(),
        logger: recordingLogger(),
      },
      parseRotationEvent(event),
    );
  return { invoke, login };
}

describe("Secrets Manager's configuration test at deploy (RotateSecret with RotateImmediately false runs testSecret)", () => {
  beforeEach(() => secretsMock.reset());

  it.each([
    ['a new stack whose secret has no value yet', undefined, 'no value'],
    ['a later deploy, the AWSPENDING version without a value', CURRENT_VALUE, 'no value'],
    [
      "a later deploy, the AWSPENDING version holding AWSCURRENT's value (as moto models it)",
      CURRENT_VALUE,
      "AWSCURRENT's value",
    ],
  ] as const)('passes on %s, with every registry unreachable', async (_case, current, pendingValue) => {
    const secretsManager = new ConfigurationTestSecretsManager(current);
    const { invoke, login } = rotationFunction();

    await expect(secretsManager.rotateSecretWithoutRotating(invoke, pendingValue)).resolves.toBeUndefined();

    expect(login).not.toHaveBeenCalled();
    expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect([...secretsManager.versions.keys()]).toEqual(current === undefined ? [] : [CURRENT]);
  });
});
