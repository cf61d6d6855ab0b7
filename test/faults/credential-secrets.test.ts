import { rollout } from '../../lib/rollout/rollout';
import { REGISTRY_TAG, SOURCE_VERSION_TAG } from '../../lib/task-credentials/plan';
import { makeDeps, SETTINGS } from '../lib/rollout/fakes';
import { FakeSecretsManager, type SecretsFault } from '../lib/task-credentials/fake-secrets-manager';
import { SECRET_ARN, secretsMock, secretsThrottled, withDeadline } from './fake-aws';

// Faults while the rollout keeps the registry credential secrets (SPEC §11): throttling, a Lambda
// that dies between two registries, a response lost after Secrets Manager acted, a listing that
// lags behind. The rerun (the trigger's retry) must end in the state a clean run leaves: every
// registry's secret holding its credentials, tagged with V, one version per value — nothing lost,
// nothing written twice.

const V1 = 'a1a1a1a1-0000-4000-8000-000000000001';
const V2 = 'b2b2b2b2-0000-4000-8000-000000000002';
const PREFIX = SETTINGS.registrySecretPrefix;
const LAMBDA_TIMEOUT_MS = 50;
const REGISTRIES = ['a.example.com', 'b.example.com', 'c.example.com'];

function secretString(passwordSuffix: string, registries = REGISTRIES): string {
  return JSON.stringify({
    registries: registries.map((registry) => ({
      registry_url: registry,
      username: `bot-${registry[0]}`,
      password: `pw-${registry[0]}-${passwordSuffix}`,
    })),
  });
}

const VALUES: Record<string, string> = { [V1]: secretString('one'), [V2]: secretString('two') };
let fake: FakeSecretsManager;

function install(values: Record<string, string> = VALUES): void {
  secretsMock.reset();
  fake = new FakeSecretsManager();
  fake.install(secretsMock, (api, input) => {
    if (api === 'GetSecretValue') {
      const versionId = String(input.VersionId);
      return {
        ARN: SECRET_ARN,
        Name: 'batch-registry-credentials',
        VersionId: versionId,
        SecretString: values[versionId],
      };
    }
    if (api === 'DescribeSecret') return { ARN: SECRET_ARN, Name: 'batch-registry-credentials' };
    throw new Error(`unexpected ${api} on the registry secret`);
  });
}

function run(version: string) {
  const deps = makeDeps({
    settings: { ...SETTINGS, taskCredentials: true, launchTemplateId: '', computeEnvironments: [] },
  });
  return withDeadline(rollout(deps, { secretArn: SECRET_ARN, secretVersionId: version }), LAMBDA_TIMEOUT_MS);
}

/** Every credential secret: its value, tags, version count and whether it is scheduled for deletion. */
function state() {
  return Object.fromEntries(
    [...fake.secrets.values()].map((secret) => [
      secret.name,
      {
        value: fake.currentValue(secret.name),
        tags: Object.fromEntries(secret.tags),
        versions: secret.versions.size,
        scheduledForDeletion: secret.deletedDate !== undefined,
      },
    ]),
  );
}

function expected(version: string, suffix: string, versions: number) {
  return Object.fromEntries(
    REGISTRIES.map((registry) => [
      `${PREFIX}${registry}`,
      {
        value: JSON.stringify({ username: `bot-${registry[0]}`, password: `pw-${registry[0]}-${suffix}` }),
        tags: { [REGISTRY_TAG]: registry, [SOURCE_VERSION_TAG]: version },
        versions,
        scheduledForDeletion: false,
      },
    ]),
  );
}

const lost = (): SecretsFault => ({ kind: 'lose-response', error: new Error('socket hang up') });

describe('credential secrets: a first rollout interrupted, then retried', () => {
  it.each<[string, string, SecretsFault, string | undefined]>([
    ['ListSecrets throttled', 'ListSecrets', { kind: 'reject', error: secretsThrottled() }, undefined],
    [
      'CreateSecret throttled for one registry',
      'CreateSecret',
      { kind: 'reject', error: secretsThrottled() },
      `${PREFIX}b.example.com`,
    ],
    [
      'the response of one CreateSecret lost after it was created',
      'CreateSecret',
      lost(),
      `${PREFIX}b.example.com`,
    ],
    [
      'the Lambda timing out between two registries (before the second)',
      'CreateSecret',
      { kind: 'hang', afterEffect: false },
      `${PREFIX}b.example.com`,
    ],
    [
      'the Lambda timing out between two registries (after the second)',
      'CreateSecret',
      { kind: 'hang', afterEffect: true },
      `${PREFIX}b.example.com`,
    ],
  ])('%s', async (_case, api, fault, name) => {
    install();
    fake.inject(api, fault, name);

    await expect(run(V1)).rejects.toThrow();
    await run(V1);

    expect(state()).toEqual(expected(V1, 'one', 1));
  });

  it('adopts a secret the listing does not show yet after its creation’s response was lost', async () => {
    install();
    fake.inject('CreateSecret', lost(), `${PREFIX}b.example.com`);
    await expect(run(V1)).rejects.toThrow();
    fake.unlisted.add(`${PREFIX}b.example.com`);

    await run(V1);

    expect(state()).toEqual(expected(V1, 'one', 1));
  });
});

describe('credential secrets: a rotation (new passwords) interrupted, then retried', () => {
  it.each<[string, string, SecretsFault]>([
    ['PutSecretValue throttled', 'PutSecretValue', { kind: 'reject', error: secretsThrottled() }],
    ['the response of PutSecretValue lost after the version was written', 'PutSecretValue', lost()],
    [
      'the Lambda timing out after PutSecretValue, before TagResource',
      'TagResource',
      { kind: 'hang', afterEffect: false },
    ],
    ['TagResource throttled', 'TagResource', { kind: 'reject', error: secretsThrottled() }],
    [
      'GetSecretValue of a credential secret throttled',
      'GetSecretValue',
      { kind: 'reject', error: secretsThrottled() },
    ],
  ])('%s', async (_case, api, fault) => {
    install();
    await run(V1);
    fake.inject(api, fault, `${PREFIX}b.example.com`);

    await expect(run(V2)).rejects.toThrow();
    await run(V2);

    expect(state()).toEqual(expected(V2, 'two', 2));
  });

  it('a rerun of a finished rotation changes nothing', async () => {
    install();
    await run(V1);
    await run(V2);
    const before = state();
    fake.calls.length = 0;

    await run(V2);

    expect(state()).toEqual(before);
    expect(
      fake.calls.map((call) => call.api).filter((api) => api !== 'ListSecrets' && api !== 'GetSecretValue'),
    ).toEqual([]);
  });
});

describe('credential secrets: registries leaving and coming back, interrupted', () => {
  const onlyA = {
    [V1]: secretString('one'),
    [V2]: secretString('one', ['a.example.com']),
    'c3c3c3c3-0000-4000-8000-000000000003': secretString('one'),
  };

  it('schedules the deletion once when the response of DeleteSecret was lost', async () => {
    install(onlyA);
    await run(V1);
    fake.inject('DeleteSecret', lost(), `${PREFIX}b.example.com`);

    await expect(run(V2)).rejects.toThrow();
    fake.calls.length = 0;
    await run(V2);

    expect(state()[`${PREFIX}b.example.com`]?.scheduledForDeletion).toBe(true);
    expect(state()[`${PREFIX}c.example.com`]?.scheduledForDeletion).toBe(true);
    expect(fake.count('DeleteSecret')).toBe(0);
  });

  it('restores a returning registry’s secret after a throttled RestoreSecret', async () => {
    install(onlyA);
    await run(V1);
    await run(V2);
    fake.inject('RestoreSecret', { kind: 'reject', error: secretsThrottled() }, `${PREFIX}b.example.com`);

    await expect(run('c3c3c3c3-0000-4000-8000-000000000003')).rejects.toThrow();
    await run('c3c3c3c3-0000-4000-8000-000000000003');

    expect(state()).toEqual(expected('c3c3c3c3-0000-4000-8000-000000000003', 'one', 1));
  });
});
