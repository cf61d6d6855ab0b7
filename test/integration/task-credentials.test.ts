import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { normaliseRegistryName } from '../../lib/registry/registry-name';
import { REGISTRY_TAG, SOURCE_VERSION_TAG } from '../../lib/task-credentials/plan';
import { registryCredentialSecretName } from '../../lib/task-credentials/secret-name';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionFargateComputeEnvironment } from '../../scripts/servers/moto-task-credentials';
import {
  basicAuth,
  type RegistryUser,
  type RunningRegistry,
  startRegistry,
} from '../../scripts/servers/registry';
import { loadEvent } from '../fixtures/events/load';

// The rollout without instances (an all-Fargate stack, SPEC §11) against moto and two real
// registries: onSecretChanged's reconcile keeps one credential secret per registry, whose value
// logs in to its registry; a rotation writes one new version; a registry that leaves is scheduled
// for deletion and restored when it comes back.

jest.setTimeout(120000);

const PREFIX = 'brg/it/registry/';
const FIRST = { username: 'it-bot', password: 'first-LEAK-CANARY-9r1' };
const SECOND = { username: 'it-bot-2', password: 'second-LEAK-CANARY-9r2' };
const context = { functionName: 'onSecretChanged', awsRequestId: 'integration' } as Context;

let moto: RunningMoto;
let one: RunningRegistry;
let two: RunningRegistry;
let secretsManager: SecretsManagerClient;
let secretArn: string;
let handler: (event: unknown, context: Context) => Promise<unknown>;
const savedEnv = { ...process.env };

function secretValue(entries: Array<[RunningRegistry, RegistryUser]>): string {
  return JSON.stringify({
    registries: entries.map(([registry, user]) => ({ registry_url: registry.url, ...user })),
  });
}

function nameFor(registry: RunningRegistry): string {
  return registryCredentialSecretName(PREFIX, normaliseRegistryName(registry.url).name);
}

/** Puts a new AWSCURRENT value and reconciles, as the scheduled rule would. Returns the version id. */
async function putAndReconcile(value: string): Promise<string> {
  const put = await secretsManager.send(
    new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }),
  );
  await reconcile();
  return put.VersionId ?? '';
}

async function reconcile(): Promise<void> {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await handler(loadEvent('scheduledEvent'), context);
  } finally {
    spy.mockRestore();
  }
}

async function credentialSecret(registry: RunningRegistry) {
  const name = nameFor(registry);
  const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: name }));
  const versions = await secretsManager.send(
    new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
  );
  const value = described.DeletedDate
    ? undefined
    : (await secretsManager.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' })))
        .SecretString;
  return {
    value: value === undefined ? undefined : (JSON.parse(value) as unknown),
    tags: Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
    versions: versions.Versions?.length ?? 0,
    scheduledForDeletion: described.DeletedDate !== undefined,
  };
}

/** GET /v2/ on the real registry with a credential secret's value: the credentials work. */
async function logsIn(registry: RunningRegistry, user: RegistryUser): Promise<number> {
  const response = await fetch(`${registry.url}/v2/`, { headers: { authorization: basicAuth(user) } });
  return response.status;
}

beforeAll(async () => {
  [moto, one, two] = await Promise.all([
    startMoto(),
    startRegistry({ kind: 'htpasswd', users: [FIRST, SECOND] }),
    startRegistry({ kind: 'htpasswd', users: [FIRST] }),
  ]);
  const clientConfig = {
    endpoint: moto.endpoint,
    region: moto.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  secretsManager = new SecretsManagerClient(clientConfig);
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: 'brg-it-registry-credentials',
      SecretString: secretValue([[one, FIRST]]),
    }),
  );
  secretArn = created.ARN ?? '';
  await provisionFargateComputeEnvironment(clientConfig, { name: 'brg-it-fargate' });

  // An all-Fargate stack: no LAUNCH_TEMPLATE_ID.
  Object.assign(process.env, moto.env, {
    REGISTRY_SECRET_ARN: secretArn,
    COMPUTE_ENVIRONMENTS: 'brg-it-fargate',
    REGISTRY_SECRET_PREFIX: PREFIX,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  delete process.env.LAUNCH_TEMPLATE_ID;
  ({ handler } = await import('../../handlers/on-secret-changed'));
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([moto?.stop(), one?.stop(), two?.stop()]);
});

describe('credential secrets against moto and real registries', () => {
  it('creates one per registry holding credentials that log in, and a rerun writes no version', async () => {
    const current = await putAndReconcile(secretValue([[one, FIRST]]));
    await reconcile();

    const secret = await credentialSecret(one);
    expect(secret).toEqual({
      value: FIRST,
      tags: { [REGISTRY_TAG]: normaliseRegistryName(one.url).name, [SOURCE_VERSION_TAG]: current },
      versions: 1,
      scheduledForDeletion: false,
    });
    expect(await logsIn(one, secret.value as RegistryUser)).toBe(200);
  });

  it('writes one new version for new credentials and moves the source-version tag', async () => {
    const current = await putAndReconcile(secretValue([[one, SECOND]]));

    const secret = await credentialSecret(one);
    expect(secret.value).toEqual(SECOND);
    expect(secret.versions).toBe(2);
    expect(secret.tags[SOURCE_VERSION_TAG]).toBe(current);
    expect(await logsIn(one, secret.value as RegistryUser)).toBe(200);
  });

  it('schedules the secret of a registry that left for deletion, and restores it when it returns', async () => {
    await putAndReconcile(secretValue([[two, FIRST]]));

    expect((await credentialSecret(one)).scheduledForDeletion).toBe(true);
    expect((await credentialSecret(two)).value).toEqual(FIRST);

    const current = await putAndReconcile(
      secretValue([
        [one, FIRST],
        [two, FIRST],
      ]),
    );

    const back = await credentialSecret(one);
    expect(back.scheduledForDeletion).toBe(false);
    expect(back.value).toEqual(FIRST);
    expect(back.tags[SOURCE_VERSION_TAG]).toBe(current);
  });
});
