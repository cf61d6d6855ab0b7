import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRegistrySecret } from '../../../lib/registry/secret';
import { REGISTRY_TAG, SOURCE_VERSION_TAG } from '../../../lib/task-credentials/plan';
import { CredentialSecretSyncError, syncCredentialSecrets } from '../../../lib/task-credentials/sync';
import { FakeSecretsManager } from './fake-secrets-manager';

const PREFIX = 'batch-registry-gateway/test/registry/';
const PASSWORD = 'pw-LEAK-CANARY-9r';
const V1 = 'a1a1a1a1-0000-4000-8000-000000000001';
const V2 = 'b2b2b2b2-0000-4000-8000-000000000002';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const secretsMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });
let fake: FakeSecretsManager;
let logged: string[];
const logger = {
  info: (...args: unknown[]) => logged.push(JSON.stringify(args)),
  warn: (...args: unknown[]) => logged.push(JSON.stringify(args)),
};

function credentials(entries: Array<[string, string, string]>) {
  return parseRegistrySecret(
    JSON.stringify({
      registries: entries.map(([registry_url, username, password]) => ({ registry_url, username, password })),
    }),
  );
}

const TWO = credentials([
  ['127.0.0.1:5000', 'bot', PASSWORD],
  ['https://index.docker.io/v1/', 'hub', `${PASSWORD}-hub`],
]);

function sync(
  version: string,
  creds = TWO,
  options: { kmsKeyId?: string; supersededBy?: () => Promise<string | undefined> } = {},
) {
  return syncCredentialSecrets(client, logger, {
    prefix: PREFIX,
    sourceVersionId: version,
    credentials: creds,
    kmsKeyId: async () => options.kmsKeyId,
    ...(options.supersededBy ? { supersededBy: options.supersededBy } : {}),
  });
}

beforeEach(() => {
  secretsMock.reset();
  fake = new FakeSecretsManager();
  fake.install(secretsMock);
  logged = [];
});

describe('syncCredentialSecrets', () => {
  it('creates one secret per registry holding exactly {username, password}, tagged, with the KMS key', async () => {
    const results = await sync(V1, TWO, { kmsKeyId: KEY });

    expect(results.map((result) => [result.registry, result.secretName, result.outcome.kind])).toEqual([
      ['127.0.0.1:5000', `${PREFIX}127.0.0.1_3a5000`, 'created'],
      ['docker.io', `${PREFIX}docker.io`, 'created'],
    ]);
    expect(JSON.parse(fake.currentValue(`${PREFIX}127.0.0.1_3a5000`) ?? '')).toEqual({
      username: 'bot',
      password: PASSWORD,
    });
    expect(fake.currentValue(`${PREFIX}docker.io`)).toBe(`{"username":"hub","password":"${PASSWORD}-hub"}`);
    expect(secretsMock).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: `${PREFIX}docker.io`,
      KmsKeyId: KEY,
      Tags: [
        { Key: REGISTRY_TAG, Value: 'docker.io' },
        { Key: SOURCE_VERSION_TAG, Value: V1 },
      ],
    });
  });

  it('creates with the default key when none is configured', async () => {
    await sync(V1);

    for (const call of secretsMock.commandCalls(CreateSecretCommand)) {
      expect(call.args[0].input).not.toHaveProperty('KmsKeyId');
    }
  });

  it('changes nothing on a rerun of the same version: one listing and one read per registry', async () => {
    await sync(V1);
    const versionsBefore = [...fake.secrets.values()].map((secret) => secret.versions.size);
    fake.calls.length = 0;

    const results = await sync(V1);

    expect(results.map((result) => result.outcome.kind)).toEqual(['unchanged', 'unchanged']);
    expect(fake.calls.map((call) => call.api).sort()).toEqual([
      'GetSecretValue',
      'GetSecretValue',
      'ListSecrets',
    ]);
    expect([...fake.secrets.values()].map((secret) => secret.versions.size)).toEqual(versionsBefore);
  });

  it('moves only the source-version tag, with no new version, when V has the same credentials', async () => {
    await sync(V1);

    const results = await sync(V2);

    expect(results.map((result) => result.outcome.kind)).toEqual(['retagged', 'retagged']);
    expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    for (const secret of fake.secrets.values()) {
      expect(secret.versions.size).toBe(1);
      expect(secret.tags.get(SOURCE_VERSION_TAG)).toBe(V2);
    }
  });

  it('writes one new version and retags when a registry password changed', async () => {
    await sync(V1);
    const changed = credentials([
      ['127.0.0.1:5000', 'bot', `${PASSWORD}-new`],
      ['https://index.docker.io/v1/', 'hub', `${PASSWORD}-hub`],
    ]);

    const results = await sync(V2, changed);

    expect(results.map((result) => result.outcome.kind)).toEqual(['updated', 'retagged']);
    expect(secretsMock).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const secret = fake.find(`${PREFIX}127.0.0.1_3a5000`);
    expect(secret?.versions.size).toBe(2);
    expect(fake.currentValue(`${PREFIX}127.0.0.1_3a5000`)).toContain(`${PASSWORD}-new`);
    expect(secret?.tags.get(SOURCE_VERSION_TAG)).toBe(V2);
  });

  it('schedules deletion with a 30-day window for a registry that left, and touches no other secret', async () => {
    await sync(V1);
    fake.seed(`${PREFIX}hand-made`, '{"username":"x","password":"y"}');
    fake.seed(`${PREFIX}forged`, '{}', { [REGISTRY_TAG]: 'ghcr.io' });

    const results = await sync(V2, credentials([['https://index.docker.io/v1/', 'hub', `${PASSWORD}-hub`]]));

    expect(results.map((result) => [result.registry, result.outcome.kind])).toEqual([
      ['docker.io', 'retagged'],
      ['127.0.0.1:5000', 'deletion-scheduled'],
    ]);
    expect(secretsMock).toHaveReceivedCommandTimes(DeleteSecretCommand, 1);
    expect(secretsMock).toHaveReceivedCommandWith(DeleteSecretCommand, {
      SecretId: fake.find(`${PREFIX}127.0.0.1_3a5000`)?.arn,
      RecoveryWindowInDays: 30,
    });
  });

  it('does not schedule a deletion twice', async () => {
    await sync(V1);
    const hubOnly = credentials([['https://index.docker.io/v1/', 'hub', `${PASSWORD}-hub`]]);
    await sync(V2, hubOnly);

    await sync(V2, hubOnly);

    expect(secretsMock).toHaveReceivedCommandTimes(DeleteSecretCommand, 1);
  });

  it('restores the secret of a registry that came back before writing its value and tags', async () => {
    await sync(V1);
    await sync(V2, credentials([['https://index.docker.io/v1/', 'hub', `${PASSWORD}-hub`]]));
    const V3 = 'c3c3c3c3-0000-4000-8000-000000000003';

    const results = await sync(V3, credentials([['127.0.0.1:5000', 'bot', `${PASSWORD}-back`]]));

    expect(results).toContainEqual({
      registry: '127.0.0.1:5000',
      secretName: `${PREFIX}127.0.0.1_3a5000`,
      outcome: { kind: 'updated' },
      restored: true,
    });
    const names = fake.calls.map((call) => call.api);
    expect(names.lastIndexOf('RestoreSecret')).toBeLessThan(names.lastIndexOf('PutSecretValue'));
    expect(fake.find(`${PREFIX}127.0.0.1_3a5000`)?.deletedDate).toBeUndefined();
    expect(fake.currentValue(`${PREFIX}127.0.0.1_3a5000`)).toContain(`${PASSWORD}-back`);
    expect(secretsMock).toHaveReceivedCommandTimes(RestoreSecretCommand, 1);
  });

  it('attempts every registry when one fails, throws naming it, and a rerun completes without duplicates', async () => {
    const many = credentials([
      ['a.example.com', 'a', `${PASSWORD}-a`],
      ['b.example.com', 'b', `${PASSWORD}-b`],
      ['c.example.com', 'c', `${PASSWORD}-c`],
    ]);
    secretsMock.on(CreateSecretCommand, { Name: `${PREFIX}b.example.com` }).rejectsOnce(
      // ThrottlingException is a common error, not a modelled class of the client.
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400, requestId: 'x' },
        message: 'Rate exceeded',
      }),
    );

    const error = await sync(V1, many).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CredentialSecretSyncError);
    expect((error as Error).message).toBe(
      `Registry credential secrets for secret version ${V1} incomplete: b.example.com: ThrottlingException: Rate exceeded`,
    );
    expect(fake.currentValue(`${PREFIX}a.example.com`)).toContain(`${PASSWORD}-a`);
    expect(fake.currentValue(`${PREFIX}c.example.com`)).toContain(`${PASSWORD}-c`);

    const results = await sync(V1, many);

    expect(results.map((result) => result.outcome.kind)).toEqual(['unchanged', 'created', 'unchanged']);
    for (const secret of fake.secrets.values()) expect(secret.versions.size).toBe(1);
  });

  it('adopts a secret that exists although the listing did not show it yet', async () => {
    fake.seed(`${PREFIX}docker.io`, `{"username":"hub","password":"old"}`);
    secretsMock.on(ListSecretsCommand).resolvesOnce({ SecretList: [] });

    const results = await sync(V1, credentials([['docker.io', 'hub', `${PASSWORD}-hub`]]));

    expect(results.map((result) => result.outcome.kind)).toEqual(['updated']);
    expect(fake.currentValue(`${PREFIX}docker.io`)).toContain(`${PASSWORD}-hub`);
    expect(fake.find(`${PREFIX}docker.io`)?.tags.get(SOURCE_VERSION_TAG)).toBe(V1);
  });

  it('writes nothing when V was superseded, and asks only once', async () => {
    const supersededBy = jest.fn(async () => 'secret version V2 is AWSCURRENT now');

    const results = await sync(V1, TWO, { supersededBy });

    expect(results.map((result) => result.outcome.kind)).toEqual(['skipped', 'skipped']);
    expect(supersededBy).toHaveBeenCalledTimes(1);
    expect(secretsMock).not.toHaveReceivedCommand(CreateSecretCommand);
    expect(secretsMock).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('does not ask whether V was superseded when there is nothing to write', async () => {
    await sync(V1);
    const supersededBy = jest.fn(async () => undefined);

    await sync(V1, TWO, { supersededBy });

    expect(supersededBy).not.toHaveBeenCalled();
  });

  it('reads every page of the listing', async () => {
    fake.pageSize = 1;
    await sync(V1);

    await sync(V1);

    expect(secretsMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(fake.count('CreateSecret')).toBe(2);
  });

  it('overwrites a value changed by someone else on a rerun of the same version', async () => {
    await sync(V1);
    const secret = fake.find(`${PREFIX}docker.io`);
    secret?.versions.set('someone-elses-version-00000000000000000', '{"username":"x","password":"y"}');
    if (secret) secret.current = 'someone-elses-version-00000000000000000';

    const results = await sync(V1);

    expect(results.map((result) => result.outcome.kind)).toEqual(['unchanged', 'updated']);
    expect(fake.currentValue(`${PREFIX}docker.io`)).toContain(`${PASSWORD}-hub`);
  });

  it('logs names and outcomes, never a password', async () => {
    await sync(V1);

    expect(logged.join('\n')).toContain(`${PREFIX}docker.io`);
    expect(logged.join('\n')).not.toContain(PASSWORD);
  });
});
