import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CredentialSecretArns } from '../../../lib/jobs/credential-secrets';

const PREFIX = 'brg/registry-credentials/';
const ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:brg/registry-credentials/127.0.0.1_3a5000-Ab12Cd';
const secretsMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });

/** DescribeSecret as the API reference shows it. */
function described(extra: Record<string, unknown> = {}) {
  return {
    ARN,
    Name: 'brg/registry-credentials/127.0.0.1_3a5000',
    LastChangedDate: new Date('2025-03-14T10:00:00Z'),
    CreatedDate: new Date('2025-03-14T09:00:00Z'),
    Tags: [{ Key: 'batch-registry-gateway:registry', Value: '127.0.0.1:5000' }],
    VersionIdsToStages: { 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111': ['AWSCURRENT'] },
    ...extra,
  };
}

const notFound = () =>
  new ResourceNotFoundException({
    $metadata: {},
    message: "Secrets Manager can't find the specified secret.",
  });

beforeEach(() => {
  secretsMock.reset();
});

describe('CredentialSecretArns', () => {
  it('finds the ARN by the encoded name of the registry', async () => {
    secretsMock.on(DescribeSecretCommand).resolves(described());
    const arns = new CredentialSecretArns(client, { prefix: PREFIX, ttlSeconds: 60 });

    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBe(ARN);
    expect(secretsMock).toHaveReceivedCommandWith(DescribeSecretCommand, {
      SecretId: 'brg/registry-credentials/127.0.0.1_3a5000',
    });
  });

  it('counts a missing secret and one scheduled for deletion as missing', async () => {
    secretsMock
      .on(DescribeSecretCommand)
      .rejectsOnce(notFound())
      .resolves(described({ DeletedDate: new Date('2025-04-13T10:00:00Z') }));
    const arns = new CredentialSecretArns(client, { prefix: PREFIX, ttlSeconds: 0 });

    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBeUndefined();
    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBeUndefined();
  });

  it('reuses a lookup, found or missing, for the TTL and looks again after it', async () => {
    let now = 1_000_000;
    secretsMock.on(DescribeSecretCommand).rejectsOnce(notFound()).resolves(described());
    const arns = new CredentialSecretArns(client, { prefix: PREFIX, ttlSeconds: 60 }, () => now);

    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBeUndefined();
    now += 59_000;
    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBeUndefined();
    now += 1_000;
    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBe(ARN);
    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBe(ARN);

    expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
  });

  it('shares one call between concurrent lookups of a registry', async () => {
    secretsMock.on(DescribeSecretCommand).resolves(described());
    const arns = new CredentialSecretArns(client, { prefix: PREFIX, ttlSeconds: 60 });

    await Promise.all(Array.from({ length: 5 }, () => arns.arnFor('127.0.0.1:5000')));

    expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
  });

  it('answers 429 when throttled and 502 on access denied, and keeps neither', async () => {
    secretsMock
      .on(DescribeSecretCommand)
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'User is not authorized to perform: secretsmanager:DescribeSecret',
        }),
      )
      .resolves(described());
    const arns = new CredentialSecretArns(client, { prefix: PREFIX, ttlSeconds: 60 });

    await expect(arns.arnFor('127.0.0.1:5000')).rejects.toMatchObject({ statusCode: 429 });
    const denied = await arns.arnFor('127.0.0.1:5000').catch((error: unknown) => error);
    expect(denied).toMatchObject({ statusCode: 502 });
    expect(String((denied as Error).message)).not.toContain('authorized');
    await expect(arns.arnFor('127.0.0.1:5000')).resolves.toBe(ARN);
  });
});
