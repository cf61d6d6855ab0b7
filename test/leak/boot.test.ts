import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { renderUserData, type UserDataInput } from '../../lib/rollout/user-data';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import { type RunningImds, startImds } from '../userdata/imds-stand-in';
import { parseMultipart } from '../userdata/mime';
import { findLeaks, makeCanary } from './canary';

// The one place the password may appear: the ECS_ENGINE_AUTH_DATA line the boot script writes
// into ecs.config on the instance. The script runs (bash, the real AWS CLI against moto, an IMDSv2
// stand-in) and its output, its user data and the rest of ecs.config hold the password in none of
// its forms — on success and on failure.

jest.setTimeout(120000);

const REGION = 'us-east-1';
const canary = makeCanary('boot-bot');
const user = { username: canary.username, password: canary.password };

let moto: RunningMoto;
let imds: RunningImds;
let registry: RunningRegistry;
let secretsManager: SecretsManagerClient;
let root: string;
let runs = 0;

beforeAll(async () => {
  [moto, imds, registry] = await Promise.all([
    startMoto({ region: REGION }),
    startImds({ region: REGION }),
    startRegistry({ kind: 'htpasswd', users: [user] }),
  ]);
  secretsManager = new SecretsManagerClient({
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  root = mkdtempSync(join(tmpdir(), 'brg-leak-boot-'));
}, 60000);

afterAll(async () => {
  secretsManager?.destroy();
  await Promise.all([moto?.stop(), imds?.stop(), registry?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

async function createSecret(secretString: string): Promise<UserDataInput> {
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: `leak/registry-credentials-${randomUUID()}`,
      SecretString: secretString,
    }),
  );
  if (!created.ARN || !created.VersionId) throw new Error('CreateSecret returned no ARN or VersionId');
  return { secretArn: created.ARN, secretVersion: { versionId: created.VersionId } };
}

interface BootRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly userData: string;
  readonly configFile: string;
}

/** Renders the user data, takes its script part out and runs it as cloud-init would. */
async function runBoot(input: UserDataInput, existingConfig?: string): Promise<BootRun> {
  runs += 1;
  const dir = join(root, `run-${runs}`);
  mkdirSync(dir);
  const configFile = join(dir, 'ecs.config');
  if (existingConfig !== undefined) writeFileSync(configFile, existingConfig, { mode: 0o644 });
  const userData = renderUserData(input);
  const [part] = parseMultipart(userData).parts;
  if (!part) throw new Error('the user data has no part');
  const script = join(dir, 'part-001');
  writeFileSync(script, part.body, { mode: 0o700 });
  const child = spawn(script, [], {
    env: {
      PATH: '/usr/bin:/bin',
      HOME: dir,
      LANG: 'C.UTF-8',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      BRG_IMDS_ENDPOINT: imds.url,
      BRG_ECS_CONFIG_FILE: configFile,
      BRG_SECRETS_MANAGER_ENDPOINT_URL: moto.endpoint,
      BRG_DOCKER_DAEMON_CONFIG: join(dir, 'docker', 'daemon.json'),
      BRG_DOCKER_PID_FILE: join(dir, 'no-dockerd.pid'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr, userData, configFile };
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function expectCleanOutput(run: BootRun): void {
  expect({
    stdout: findLeaks(canary, run.stdout),
    stderr: findLeaks(canary, run.stderr),
    userData: findLeaks(canary, run.userData),
  }).toEqual({ stdout: [], stderr: [], userData: [] });
}

describe('the boot script is the only place the password is written', () => {
  it('puts it only in the ECS_ENGINE_AUTH_DATA line, for every registry, and prints nothing of it', async () => {
    const input = await createSecret(
      JSON.stringify({
        registries: [
          { registry_url: registry.url, ...user },
          { registry_url: 'docker.io', ...user },
        ],
      }),
    );

    const run = await runBoot(
      input,
      'ECS_CLUSTER=batch-cluster_Batch_0123\nECS_IMAGE_CLEANUP_INTERVAL=60m\n',
    );
    const again = await runBoot(input, readConfig(run.configFile));

    for (const boot of [run, again]) {
      expect(boot.code).toBe(0);
      expectCleanOutput(boot);
      const lines = readConfig(boot.configFile).split('\n');
      const leaking = lines.filter((line) => findLeaks(canary, line).length > 0);
      expect(leaking).toHaveLength(1);
      expect(leaking[0]?.startsWith('ECS_ENGINE_AUTH_DATA=')).toBe(true);
      expect(lines.filter((line) => line.startsWith('ECS_ENGINE_AUTH_DATA='))).toEqual(leaking);
      const authData = JSON.parse(leaking[0]?.slice('ECS_ENGINE_AUTH_DATA='.length) ?? '') as Record<
        string,
        { password: string }
      >;
      expect(Object.values(authData).map((entry) => entry.password)).toEqual([user.password, user.password]);
      expect(statSync(boot.configFile).mode & 0o777).toBe(0o600);
    }
    expect(run.stdout).toContain('wrote ECS agent auth data for');
    // The http:// registry went into Docker's insecure-registries, by host only.
    const daemonJson = readConfig(join(run.configFile, '..', 'docker', 'daemon.json'));
    expect(JSON.parse(daemonJson)).toEqual({ 'insecure-registries': [registry.host] });
    expect(findLeaks(canary, daemonJson)).toEqual([]);
  });

  it.each([
    ['malformed JSON', () => `{"username":"${user.username}","password":"${user.password}"`],
    ['an empty username', () => JSON.stringify({ username: '', password: user.password })],
    [
      'the password in a registry_url with user info',
      () => JSON.stringify({ registry_url: `https://${user.username}:${user.password}@ghcr.io`, ...user }),
    ],
    ['a JSON string', () => JSON.stringify(user.password)],
  ])(
    'fails without printing the password for %s, leaving ecs.config as it was',
    async (_case, secretString) => {
      const input = await createSecret(secretString());

      const run = await runBoot(input, 'ECS_CLUSTER=c1\n');

      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('registry-auth: error:');
      expectCleanOutput(run);
      expect(readConfig(run.configFile)).toBe('ECS_CLUSTER=c1\n');
    },
  );

  it('fails without printing the password when the secret cannot be read', async () => {
    const input = await createSecret(JSON.stringify({ registry_url: registry.url, ...user }));
    // A pinned version that does not exist gives way to AWSCURRENT (userdata/boot.sh); a secret
    // that does not exist fails every read.
    const missing: UserDataInput = {
      secretArn: input.secretArn.replace(/-[A-Za-z0-9]{6}$/, '-Gone00'),
      secretVersion: { versionId: randomUUID() },
    };

    const run = await runBoot(missing);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('could not read secret');
    expectCleanOutput(run);
    expect(readConfig(run.configFile)).toBe('');
  });

  it('prints no password when the pinned version moved on and AWSCURRENT is read instead', async () => {
    const input = await createSecret(JSON.stringify({ registry_url: registry.url, ...user }));
    const movedOn: UserDataInput = { secretArn: input.secretArn, secretVersion: { versionId: randomUUID() } };

    const run = await runBoot(movedOn);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('neither AWSCURRENT nor AWSPENDING: reading AWSCURRENT instead');
    expectCleanOutput(run);
  });
});
