import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretFormatError } from '../../../lib/registry/secret';
import { CurrentSecretCache, readRegistrySecret, versionWithStage } from '../../../lib/registry/secret-store';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:batch/registry-credentials-AbCdEf';
const PASSWORD = 'pw-Leak-Canary-91d2';

/** A GetSecretValue response in the shape Secrets Manager returns. */
function secretValue(versionId: string, secretString: string | undefined, stages = ['AWSCURRENT']) {
  const output: GetSecretValueCommandOutput = {
    $metadata: { httpStatusCode: 200, requestId: 'b8e5d3a0-3f0e-4a57-9b1f-1f6c1d5e2a11', attempts: 1 },
    ARN: SECRET_ARN,
    Name: 'batch/registry-credentials',
    VersionId: versionId,
    VersionStages: stages,
    CreatedDate: new Date('2025-03-01T10:00:00Z'),
  };
  return secretString === undefined ? output : { ...output, SecretString: secretString };
}

const seed = (username: string) => JSON.stringify({ username, password: PASSWORD });

const secretsManager = mockClient(SecretsManagerClient);
beforeEach(() => secretsManager.reset());

describe('readRegistrySecret', () => {
  it('reads a version by VersionId and parses it', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN, VersionId: 'v-1' })
      .resolves(secretValue('v-1', seed('bot'), ['AWSPENDING']));

    // act
    const version = await readRegistrySecret(new SecretsManagerClient({}), SECRET_ARN, { versionId: 'v-1' });

    // assert
    expect(version.versionId).toBe('v-1');
    expect(version.credentials).toEqual([
      expect.objectContaining({
        username: 'bot',
        password: PASSWORD,
        registry: expect.objectContaining({ name: 'docker.io' }),
      }),
    ]);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
      VersionId: 'v-1',
    });
  });

  it('reads a version by VersionStage and takes the VersionId from the response', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN, VersionStage: 'AWSCURRENT' })
      .resolves(secretValue('v-current', seed('bot')));

    // act
    const version = await readRegistrySecret(new SecretsManagerClient({}), SECRET_ARN, {
      versionStage: 'AWSCURRENT',
    });

    // assert
    expect(version.versionId).toBe('v-current');
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
      VersionStage: 'AWSCURRENT',
    });
  });

  it('throws SecretFormatError naming the version and the rule when the value is malformed', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves(secretValue('v-bad', JSON.stringify({ password: PASSWORD })));

    // act
    const read = readRegistrySecret(new SecretsManagerClient({}), SECRET_ARN, { versionStage: 'AWSCURRENT' });

    // assert
    await expect(read).rejects.toThrow(SecretFormatError);
    await expect(read).rejects.toThrow('secret version v-bad: the secret (docker.io): username is missing');
    await expect(read).rejects.not.toThrow(PASSWORD);
  });

  it('throws SecretFormatError for a binary-only secret', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ ...secretValue('v-bin', undefined), SecretBinary: new Uint8Array([1, 2]) });

    // act
    const read = readRegistrySecret(new SecretsManagerClient({}), SECRET_ARN, { versionId: 'v-bin' });

    // assert
    await expect(read).rejects.toThrow(/v-bin: has no SecretString/);
  });

  it('passes AWS errors through with their names', async () => {
    // prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // act
    const read = readRegistrySecret(new SecretsManagerClient({}), SECRET_ARN, { versionStage: 'AWSCURRENT' });

    // assert
    await expect(read).rejects.toHaveProperty('name', 'ResourceNotFoundException');
  });
});

describe('CurrentSecretCache', () => {
  function cacheAt(clock: { now: number }, ttlSeconds = 60) {
    return new CurrentSecretCache(new SecretsManagerClient({}), SECRET_ARN, ttlSeconds, () => clock.now);
  }

  it('reuses AWSCURRENT within the TTL', async () => {
    // prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretValue('v-1', seed('bot')));
    const clock = { now: 1_000_000 };
    const cache = cacheAt(clock);

    // act
    const first = await cache.get();
    clock.now += 59_999;
    const second = await cache.get();

    // assert
    expect(second).toBe(first);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
      VersionStage: 'AWSCURRENT',
    });
  });

  it('reads again once the TTL has passed and returns the new version', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretValue('v-1', seed('old')))
      .resolves(secretValue('v-2', seed('new')));
    const clock = { now: 1_000_000 };
    const cache = cacheAt(clock);

    // act
    await cache.get();
    clock.now += 60_000;
    const second = await cache.get();

    // assert
    expect(second.versionId).toBe('v-2');
    expect(second.credentials[0]?.username).toBe('new');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('reads every time with a TTL of 0', async () => {
    // prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretValue('v-1', seed('bot')));
    const cache = cacheAt({ now: 5 }, 0);

    // act
    await cache.get();
    await cache.get();

    // assert
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('shares one read between concurrent callers', async () => {
    // prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretValue('v-1', seed('bot')));
    const cache = cacheAt({ now: 5 });

    // act
    const [a, b] = await Promise.all([cache.get(), cache.get()]);

    // assert
    expect(a).toBe(b);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('does not cache a failed read', async () => {
    // prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretValue('v-bad', '{not json'))
      .resolves(secretValue('v-good', seed('bot')));
    const cache = cacheAt({ now: 5 });

    // act
    const failed = cache.get();
    await expect(failed).rejects.toThrow(SecretFormatError);
    const recovered = await cache.get();

    // assert
    expect(recovered.versionId).toBe('v-good');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('reads again after invalidate()', async () => {
    // prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretValue('v-1', seed('bot')));
    const cache = cacheAt({ now: 5 });
    await cache.get();

    // act
    cache.invalidate();
    await cache.get();

    // assert
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});

describe('versionWithStage', () => {
  it('finds the version that carries a stage in VersionIdsToStages, or none', () => {
    const stages = {
      'a1b2c3d4-0000-4000-8000-000000000001': ['AWSPREVIOUS'],
      'a1b2c3d4-0000-4000-8000-000000000002': ['AWSCURRENT', 'AWSPENDING'],
    };

    expect(versionWithStage(stages, 'AWSCURRENT')).toBe('a1b2c3d4-0000-4000-8000-000000000002');
    expect(versionWithStage(stages, 'AWSPREVIOUS')).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(versionWithStage({ 'a1b2c3d4-0000-4000-8000-000000000001': [] }, 'AWSCURRENT')).toBeUndefined();
    expect(versionWithStage(undefined, 'AWSCURRENT')).toBeUndefined();
  });
});
