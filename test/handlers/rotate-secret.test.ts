import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { FIXTURE_SECRET, loadEvent } from '../fixtures/events/load';

jest.mock('../../lib/rollout/user-data', () => ({
  renderUserData: () => 'Content-Type: multipart/mixed; boundary="x"\n\n--x--\n',
}));
const login = jest.fn();
jest.mock('../../lib/registry/client', () => {
  const actual = jest.requireActual<typeof import('../../lib/registry/client')>('../../lib/registry/client');
  return { ...actual, RegistryClient: jest.fn(() => ({ login })) };
});

const secretsMock = mockClient(SecretsManagerClient);
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const context = { functionName: 'rotateSecret', awsRequestId: 'req-1' } as Context;

async function loadHandler() {
  process.env.REGISTRY_SECRET_ARN = FIXTURE_SECRET.arn;
  process.env.LAUNCH_TEMPLATE_ID = 'lt-0abcd1234ef567890';
  process.env.COMPUTE_ENVIRONMENTS = 'ce-ondemand';
  process.env.AWS_REGION = 'us-east-1';
  return import('../../handlers/rotate-secret');
}

describe('rotate-secret handler', () => {
  beforeEach(() => {
    secretsMock.reset();
    login.mockReset().mockResolvedValue(undefined);
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      Name: FIXTURE_SECRET.name,
      RotationEnabled: true,
      VersionIdsToStages: { '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13': ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    });
    secretsMock.on(GetSecretValueCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      VersionId: TOKEN,
      SecretString: JSON.stringify({ registry_url: 'ghcr.io', username: 'bot', password: 'handler-SECRET' }),
      VersionStages: ['AWSPENDING'],
    });
    secretsMock.on(GetSecretValueCommand, { VersionId: '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13' }).resolves({
      ARN: FIXTURE_SECRET.arn,
      VersionId: '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13',
      SecretString: JSON.stringify({ registry_url: 'ghcr.io', username: 'bot', password: 'handler-OLD' }),
      VersionStages: ['AWSCURRENT'],
    });
  });

  it('runs testSecret through the wired registry client', async () => {
    const { handler } = await loadHandler();

    await handler({ ...loadEvent('rotationStep'), Step: 'testSecret' }, context);

    expect(login).toHaveBeenCalledWith(expect.objectContaining({ name: 'ghcr.io' }), {
      username: 'bot',
      password: 'handler-SECRET',
    });
  });

  it('throws for a malformed event so the rotation fails loudly', async () => {
    const { handler } = await loadHandler();

    await expect(handler({ SecretId: FIXTURE_SECRET.arn, Step: 'createSecret' }, context)).rejects.toThrow(
      'check ClientRequestToken',
    );
    expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });
});
