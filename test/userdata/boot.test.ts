import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseRegistrySecret } from '../../lib/registry/secret';
import { renderUserData, type UserDataInput } from '../../lib/rollout/user-data';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { freePort } from '../../scripts/servers/processes';
import {
  basicAuth,
  type RegistryUser,
  type RunningRegistry,
  startRegistry,
} from '../../scripts/servers/registry';
import { type RunningImds, startImds } from './imds-stand-in';
import { parseMultipart } from './mime';

// The boot script, extracted from the rendered MIME document and executed with bash against a
// local IMDSv2 stand-in, moto's Secrets Manager (through Debian's /usr/bin/aws, AWS CLI v2) and
// real registries; ecs.config goes to a temp directory. Nothing here needs Docker.

const REGION = 'us-east-1';
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
// Characters that JSON, the shell and the agent's line-based ecs.config parsing could each mangle.
const alpha: RegistryUser = { username: 'bot-alpha', password: `p@ss "w0rd" \\ $HOME 'q' =x` };
const beta: RegistryUser = { username: 'bot-beta', password: 'beta-Pa55-7f3e9c' };
const hub: RegistryUser = { username: 'hub-user', password: 'dckr_pat_example0123456789' };
const everyCredential = [alpha, beta, hub].flatMap((user) => [user.username, user.password]);

// A pinned version that moved on costs the script three AWS CLI calls, seconds each on a busy machine.
jest.setTimeout(60_000);

let moto: RunningMoto;
let imds: RunningImds;
let registryA: RunningRegistry;
let registryB: RunningRegistry;
let secretsManager: SecretsManagerClient;
let root: string;
let noJqBin: string;
let secretCount = 0;
let runCount = 0;

beforeAll(async () => {
  for (const [command, hint] of [
    ['/usr/bin/jq', 'apt-get install -y jq'],
    ['/usr/bin/curl', 'apt-get install -y curl'],
    ['/usr/bin/aws', 'apt-get install -y awscli'],
  ] as const) {
    if (!existsSync(command)) throw new Error(`${command} is missing; install it with: ${hint}`);
  }
  [moto, imds, registryA, registryB] = await Promise.all([
    startMoto({ region: REGION }),
    startImds({ region: REGION }),
    startRegistry({ kind: 'htpasswd', users: [alpha] }),
    startRegistry({ kind: 'htpasswd', users: [beta] }),
  ]);
  secretsManager = new SecretsManagerClient({
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  root = mkdtempSync(join(tmpdir(), 'brg-boot-'));
  // Every command of /usr/bin (= /bin on Debian) except jq, to prove "install only when missing".
  noJqBin = join(root, 'bin-without-jq');
  mkdirSync(noJqBin);
  for (const name of readdirSync('/usr/bin')) {
    if (name !== 'jq') symlinkSync(join('/usr/bin', name), join(noJqBin, name));
  }
}, 60000);

afterAll(async () => {
  secretsManager?.destroy();
  await Promise.all([moto?.stop(), imds?.stop(), registryA?.stop(), registryB?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

interface SecretVersion {
  readonly arn: string;
  readonly versionId: string;
}

async function createSecret(secretString: string): Promise<SecretVersion> {
  secretCount += 1;
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: `batch/registry-credentials-${secretCount}`,
      SecretString: secretString,
    }),
  );
  if (!created.ARN || !created.VersionId) throw new Error('CreateSecret returned no ARN or VersionId');
  return { arn: created.ARN, versionId: created.VersionId };
}

async function putSecretValue(arn: string, secretString: string): Promise<string> {
  const put = await secretsManager.send(
    new PutSecretValueCommand({ SecretId: arn, SecretString: secretString }),
  );
  if (!put.VersionId) throw new Error('PutSecretValue returned no VersionId');
  return put.VersionId;
}

function pinned(version: SecretVersion): UserDataInput {
  return { secretArn: version.arn, secretVersion: { versionId: version.versionId } };
}

/** A directory holding a fake `dnf` that logs its arguments and "installs" jq by linking it. */
function fakeDnfBin(): { dir: string; log: string } {
  runCount += 1;
  const dir = join(root, `fake-dnf-${runCount}`);
  mkdirSync(dir);
  const log = join(dir, 'dnf.log');
  writeFileSync(
    join(dir, 'dnf'),
    [
      '#!/bin/sh',
      `printf '%s\\n' "$*" >> '${log}'`,
      'for arg in "$@"; do',
      `  if [ "$arg" = jq ]; then ln -s /usr/bin/jq '${dir}/jq'; fi`,
      'done',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return { dir, log };
}

interface BootRun {
  readonly code: number | null;
  readonly output: string;
  readonly configFile: string;
  readonly dnfLog: string;
}

interface BootOptions {
  /** Where ecs.config goes; a fresh directory by default. */
  readonly configFile?: string;
  /** PATH in front of which the fake dnf directory goes; `/usr/bin:/bin` by default. */
  readonly path?: string;
  readonly withDnf?: boolean;
  readonly imdsUrl?: string;
  /** Docker's daemon.json and dockerd's pid file; under the run's home by default, never /etc. */
  readonly daemonConfig?: string;
  readonly dockerPidFile?: string;
}

function newConfigFile(content?: string): string {
  runCount += 1;
  const dir = join(root, `etc-ecs-${runCount}`);
  mkdirSync(dir);
  const file = join(dir, 'ecs.config');
  if (content !== undefined) writeFileSync(file, content, { mode: 0o644 });
  return file;
}

/** Renders the user data, takes its shell part out of the MIME document and runs it as cloud-init would. */
async function runBoot(input: UserDataInput, options: BootOptions = {}): Promise<BootRun> {
  const [part] = parseMultipart(renderUserData(input)).parts;
  if (!part) throw new Error('the user data has no part');
  runCount += 1;
  const home = join(root, `home-${runCount}`);
  mkdirSync(home);
  const script = join(home, 'part-001');
  writeFileSync(script, part.body, { mode: 0o700 });
  const configFile = options.configFile ?? newConfigFile();
  const dnf = fakeDnfBin();
  const path =
    options.withDnf === false
      ? (options.path ?? '/usr/bin:/bin')
      : `${dnf.dir}:${options.path ?? '/usr/bin:/bin'}`;
  const env = {
    PATH: path,
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    BRG_IMDS_ENDPOINT: options.imdsUrl ?? imds.url,
    BRG_ECS_CONFIG_FILE: configFile,
    BRG_SECRETS_MANAGER_ENDPOINT_URL: moto.endpoint,
    BRG_DOCKER_DAEMON_CONFIG: options.daemonConfig ?? join(home, 'etc-docker', 'daemon.json'),
    BRG_DOCKER_PID_FILE: options.dockerPidFile ?? join(home, 'no-dockerd.pid'),
  };
  // Asynchronous: the IMDS stand-in answers from this very process.
  const child = spawn(script, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  let dnfLog = '';
  try {
    dnfLog = readFileSync(dnf.log, 'utf8');
  } catch {
    dnfLog = '';
  }
  return { code, output, configFile, dnfLog };
}

/** ecs.config read the way ecs-init reads it: one `KEY=value` per line, split at the first "=". */
function readEcsConfig(file: string): { lines: string[]; values: Map<string, string> } {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const values = new Map<string, string>();
  for (const line of lines) {
    const trimmed = line.trim();
    const equals = trimmed.indexOf('=');
    if (equals !== -1) values.set(trimmed.slice(0, equals), trimmed.slice(equals + 1));
  }
  return { lines, values };
}

type AuthData = Record<string, { username: string; password: string; email: string }>;

function authData(file: string): AuthData {
  const { lines, values } = readEcsConfig(file);
  expect(lines.filter((line) => line.startsWith('ECS_ENGINE_AUTH_TYPE='))).toEqual([
    'ECS_ENGINE_AUTH_TYPE=docker',
  ]);
  expect(lines.filter((line) => line.startsWith('ECS_ENGINE_AUTH_DATA='))).toHaveLength(1);
  return JSON.parse(values.get('ECS_ENGINE_AUTH_DATA') ?? '') as AuthData;
}

const VERSION_ATTRIBUTE = 'batch-registry-gateway.secret-version';

/** The one ECS_INSTANCE_ATTRIBUTES line of ecs.config, parsed as the ECS agent does (a JSON object). */
function instanceAttributes(file: string): Record<string, string> {
  const lines = readEcsConfig(file).lines.filter((line) => line.startsWith('ECS_INSTANCE_ATTRIBUTES='));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]?.slice('ECS_INSTANCE_ATTRIBUTES='.length) ?? '') as Record<string, string>;
}

/** `count` custom attributes other than ours, as an ECS_INSTANCE_ATTRIBUTES line. */
function otherAttributes(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`team.attribute-${i}`, `value ${i}`]));
}

function expectNoCredential(text: string): void {
  for (const value of everyCredential) expect(text).not.toContain(value);
}

async function v2Status(registry: RunningRegistry, user: RegistryUser): Promise<number> {
  const response = await fetch(`${registry.url}/v2/`, { headers: { authorization: basicAuth(user) } });
  await response.arrayBuffer();
  return response.status;
}

describe('userdata/boot.sh', () => {
  it('writes auth data for one registry that logs in to the real registry, from the pinned version', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    // Another version staged AWSPENDING (a rotation under way): the pinned one is still read.
    await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: first.arn,
        ClientRequestToken: randomUUID(),
        SecretString: JSON.stringify({ registry_url: registryA.url, username: 'rotated', password: 'x' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const imdsSeen = imds.requests.length;

    const run = await runBoot(pinned(first));

    expect(run.output).toContain(`wrote ECS agent auth data for: ${registryA.host}`);
    expect(run.code).toBe(0);
    const data = authData(run.configFile);
    expect(data).toEqual({ [registryA.host]: { ...alpha, email: '' } });
    const written = data[registryA.host];
    if (!written) throw new Error('no auth data for the registry');
    expect(await v2Status(registryA, written)).toBe(200);
    expect(await v2Status(registryA, { ...written, password: `${written.password}-wrong` })).toBe(401);
    expect(statSync(run.configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(run.configFile, '..'))).toEqual(['ecs.config']);
    expect(imds.requests.slice(imdsSeen)).toEqual([
      { method: 'PUT', path: '/latest/api/token', withValidToken: false, status: 200 },
      { method: 'GET', path: '/latest/meta-data/placement/region', withValidToken: true, status: 200 },
    ]);
    expect(run.dnfLog).toBe('');
    expectNoCredential(run.output);
  });

  it('proves IMDSv2: the stand-in refuses metadata requests without a token', async () => {
    const withoutToken = await fetch(`${imds.url}/latest/meta-data/placement/region`);
    const forgedToken = await fetch(`${imds.url}/latest/meta-data/placement/region`, {
      headers: { 'x-aws-ec2-metadata-token': 'forged' },
    });

    expect(withoutToken.status).toBe(401);
    expect(forgedToken.status).toBe(401);
  });

  it('writes one entry per registry, Docker Hub keyed https://index.docker.io/v1/, each logging in', async () => {
    const version = await createSecret(
      JSON.stringify({
        registries: [
          { registry_url: registryA.url, ...alpha },
          { registry_url: registryB.host, ...beta },
          { registry_url: 'docker.io', ...hub },
        ],
      }),
    );

    const run = await runBoot(pinned(version));

    expect(run.code).toBe(0);
    const data = authData(run.configFile);
    expect(data).toEqual({
      [registryA.host]: { ...alpha, email: '' },
      [registryB.host]: { ...beta, email: '' },
      [DOCKER_HUB_KEY]: { ...hub, email: '' },
    });
    expect(await v2Status(registryA, data[registryA.host] ?? hub)).toBe(200);
    expect(await v2Status(registryB, data[registryB.host] ?? hub)).toBe(200);
    expect(await v2Status(registryB, data[registryA.host] ?? hub)).toBe(401);
    expectNoCredential(run.output);
  });

  it('writes a Google _json_key (multi-line key file) as the same credentials the gateway reads', async () => {
    // cloud.google.com/artifact-registry/docs/docker/authentication#json-key
    const keyFile = `${JSON.stringify(
      {
        type: 'service_account',
        private_key: '-----BEGIN PRIVATE KEY-----\nLeak-Canary-json-key\n-----END PRIVATE KEY-----\n',
        client_email: 'pusher@brg-test.iam.gserviceaccount.com',
      },
      null,
      2,
    )}\n`;
    const secretString = JSON.stringify({
      registries: [
        { registry_url: 'us-docker.pkg.dev', username: '_json_key', password: keyFile },
        { registry_url: registryA.url, ...alpha },
      ],
    });
    const version = await createSecret(secretString);
    const gateway = parseRegistrySecret(secretString);

    const run = await runBoot(pinned(version));

    expect(run.code).toBe(0);
    const written = authData(run.configFile)['us-docker.pkg.dev'];
    expect(written).toEqual({ username: '_json_key', password: keyFile, email: '' });
    expect(gateway[0]).toMatchObject({ username: written?.username, password: written?.password });
    expect(run.output).not.toContain('Leak-Canary');
  });

  it.each([
    ['the seed form without registry_url', {}],
    ['docker.io', { registry_url: 'docker.io' }],
    ['index.docker.io', { registry_url: 'index.docker.io' }],
    ['registry-1.docker.io', { registry_url: 'https://registry-1.docker.io' }],
    ['https://index.docker.io/v1/', { registry_url: 'https://index.docker.io/v1/' }],
  ])('keys Docker Hub as https://index.docker.io/v1/ for %s', async (_case, registryUrl) => {
    const version = await createSecret(JSON.stringify({ ...hub, ...registryUrl }));

    const run = await runBoot(pinned(version));

    expect(run.code).toBe(0);
    expect(authData(run.configFile)).toEqual({ [DOCKER_HUB_KEY]: { ...hub, email: '' } });
  });

  it('keeps the other settings of an existing ecs.config and replaces earlier auth lines', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryB.url, ...beta }));
    const configFile = newConfigFile(
      [
        'ECS_CLUSTER=batch-cluster_Batch_0123',
        'ECS_ENGINE_AUTH_TYPE=dockercfg',
        'ECS_ENGINE_AUTH_DATA={"old.example.com":{"auth":"b2xkOm9sZA=="}}',
        '# a comment',
        '  ECS_ENGINE_AUTH_DATA={"indented.example.com":{}}',
        'ECS_IMAGE_CLEANUP_INTERVAL=60m',
        'ECS_ENGINE_AUTH_DATA_NOT_OURS=kept',
      ].join('\n'),
    );

    const run = await runBoot(pinned(version), { configFile });

    expect(run.code).toBe(0);
    const { lines } = readEcsConfig(configFile);
    expect(lines.slice(0, 4)).toEqual([
      'ECS_CLUSTER=batch-cluster_Batch_0123',
      '# a comment',
      'ECS_IMAGE_CLEANUP_INTERVAL=60m',
      'ECS_ENGINE_AUTH_DATA_NOT_OURS=kept',
    ]);
    expect(lines).toHaveLength(7);
    expect(authData(configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
  });

  it('leaves one line of each after a second run, with the second version pinned', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const configFile = newConfigFile('ECS_CLUSTER=c1\n');
    const once = await runBoot(pinned(first), { configFile });

    const twice = await runBoot(pinned(first), { configFile });
    const afterTwice = readFileSync(configFile, 'utf8');
    const secondVersionId = await putSecretValue(
      first.arn,
      JSON.stringify({ registry_url: registryB.url, ...beta }),
    );
    const rotated = await runBoot(pinned({ arn: first.arn, versionId: secondVersionId }), { configFile });

    expect([once.code, twice.code, rotated.code]).toEqual([0, 0, 0]);
    expect(afterTwice.split('\n').filter((line) => line.startsWith('ECS_ENGINE_AUTH_'))).toHaveLength(2);
    expect(afterTwice.startsWith('ECS_CLUSTER=c1\n')).toBe(true);
    expect(readEcsConfig(configFile).lines).toHaveLength(4);
    expect(authData(configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
  });

  it('records the pinned version as the ECS instance attribute, merged, one line after any number of runs', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const secondVersionId = await putSecretValue(
      first.arn,
      JSON.stringify({ registry_url: registryB.url, ...beta }),
    );
    const configFile = newConfigFile(
      [
        'ECS_CLUSTER=c1',
        'ECS_INSTANCE_ATTRIBUTES={"stack": "blue", "batch-registry-gateway.secret-version": "old"}',
        ' ECS_INSTANCE_ATTRIBUTES={"gpu":"none"}',
        '',
      ].join('\n'),
    );

    const runs = [
      await runBoot(pinned(first), { configFile }),
      await runBoot(pinned(first), { configFile }),
      await runBoot(pinned({ arn: first.arn, versionId: secondVersionId }), { configFile }),
    ];

    expect(runs.map((run) => run.code)).toEqual([0, 0, 0]);
    expect(instanceAttributes(configFile)).toEqual({
      stack: 'blue',
      gpu: 'none',
      [VERSION_ATTRIBUTE]: secondVersionId,
    });
    expect(readEcsConfig(configFile).lines).toHaveLength(4);
    expect(authData(configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(configFile, '..'))).toEqual(['ecs.config']);
  });

  it('records the version id it read when the user data names only the AWSCURRENT stage', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const currentVersionId = await putSecretValue(
      first.arn,
      JSON.stringify({ registry_url: registryB.url, ...beta }),
    );

    const run = await runBoot({ secretArn: first.arn, secretVersion: { versionStage: 'AWSCURRENT' } });

    expect(run.code).toBe(0);
    expect(instanceAttributes(run.configFile)).toEqual({ [VERSION_ATTRIBUTE]: currentVersionId });
  });

  it('fits the version attribute next to 9 others, or replaces its own among 10', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const nine = newConfigFile(`ECS_INSTANCE_ATTRIBUTES=${JSON.stringify(otherAttributes(9))}\n`);
    const tenWithOurs = newConfigFile(
      `ECS_INSTANCE_ATTRIBUTES=${JSON.stringify({ ...otherAttributes(9), [VERSION_ATTRIBUTE]: 'old' })}\n`,
    );

    const runs = [
      await runBoot(pinned(version), { configFile: nine }),
      await runBoot(pinned(version), { configFile: tenWithOurs }),
    ];

    expect(runs.map((run) => run.code)).toEqual([0, 0]);
    for (const file of [nine, tenWithOurs]) {
      expect(instanceAttributes(file)).toEqual({
        ...otherAttributes(9),
        [VERSION_ATTRIBUTE]: version.versionId,
      });
    }
  });

  it.each([
    [
      'ten custom attributes already',
      `ECS_INSTANCE_ATTRIBUTES=${JSON.stringify(otherAttributes(10))}`,
      'ECS allows at most 10 custom attributes',
    ],
    [
      'attributes that are not JSON',
      'ECS_INSTANCE_ATTRIBUTES={stack: blue}',
      'is not a JSON object of strings',
    ],
    [
      'attributes that are not strings',
      'ECS_INSTANCE_ATTRIBUTES={"size": 3}',
      'is not a JSON object of strings',
    ],
  ])('fails clearly and leaves ecs.config as it was with %s', async (_case, line, message) => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const before = `ECS_CLUSTER=c1\n${line}\n`;
    const configFile = newConfigFile(before);

    const run = await runBoot(pinned(version), { configFile });

    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(new RegExp(`registry-auth: error: .*${message}`));
    expect(readFileSync(configFile, 'utf8')).toBe(before);
    expect(readdirSync(join(configFile, '..'))).toEqual(['ecs.config']);
    expectNoCredential(run.output);
  });

  it('reads the AWSCURRENT stage when the user data names no version id', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    await putSecretValue(first.arn, JSON.stringify({ registry_url: registryB.url, ...beta }));

    const run = await runBoot({ secretArn: first.arn, secretVersion: { versionStage: 'AWSCURRENT' } });

    expect(run.code).toBe(0);
    expect(run.output).toContain('stage AWSCURRENT');
    expect(authData(run.configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
  });

  it('reads a pinned version staged AWSPENDING: instances booted while the rotation finishes', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const pending = await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: first.arn,
        ClientRequestToken: randomUUID(),
        SecretString: JSON.stringify({ registry_url: registryB.url, ...beta }),
        VersionStages: ['AWSPENDING'],
      }),
    );

    const run = await runBoot(pinned({ arn: first.arn, versionId: pending.VersionId ?? '' }));

    expect(run.code).toBe(0);
    expect(authData(run.configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
  });

  it('reads AWSCURRENT when the pinned version has moved on: newer credentials, never older ones', async () => {
    const first = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    await putSecretValue(first.arn, JSON.stringify({ registry_url: registryB.url, ...beta }));

    const run = await runBoot(pinned(first));

    expect(run.code).toBe(0);
    expect(run.output).toContain(
      `version ${first.versionId} is neither AWSCURRENT nor AWSPENDING: reading AWSCURRENT instead`,
    );
    expect(authData(run.configFile)).toEqual({ [registryB.host]: { ...beta, email: '' } });
  });

  it('fails naming the secret and version when the secret cannot be read, leaving ecs.config as it was', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const missing = { arn: version.arn.replace(/-[A-Za-z0-9]{6}$/, '-Gone00'), versionId: randomUUID() };
    const configFile = newConfigFile('ECS_CLUSTER=c1\n');

    const run = await runBoot(pinned(missing), { configFile });

    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      `registry-auth: error: could not read secret ${missing.arn} stage AWSCURRENT (pinned version ${missing.versionId} has moved on)`,
    );
    expect(readFileSync(configFile, 'utf8')).toBe('ECS_CLUSTER=c1\n');
    expect(readdirSync(join(configFile, '..'))).toEqual(['ecs.config']);
    expectNoCredential(run.output);
  });

  it.each([
    [
      'malformed JSON',
      `{"username":"${alpha.username}","password":"${beta.password}"`,
      'the secret value is not valid JSON',
    ],
    ['a JSON string', JSON.stringify(beta.password), 'the secret value must be a JSON object'],
    [
      'an empty password',
      JSON.stringify({ username: beta.username, password: '' }),
      'password must be a non-empty string',
    ],
    [
      'an empty username in the list form',
      JSON.stringify({ registries: [{ registry_url: 'ghcr.io', username: '', password: beta.password }] }),
      'registries[0].username must be a non-empty string',
    ],
    [
      'the same registry twice under two Docker Hub names',
      JSON.stringify({
        registries: [
          { registry_url: 'docker.io', ...hub },
          { registry_url: 'ghcr.io', ...beta },
          { registry_url: 'https://index.docker.io/v1/', ...alpha },
        ],
      }),
      'registries[0] and registries[2] name the same registry',
    ],
    [
      'a registry_url with user info',
      JSON.stringify({
        registries: [{ registry_url: `https://${beta.username}:${beta.password}@ghcr.io`, ...beta }],
      }),
      'registries[0].registry_url must not contain user info, a query or a fragment',
    ],
  ])('fails with the rule and prints nothing secret for %s', async (_case, secretString, rule) => {
    const version = await createSecret(secretString);
    const configFile = newConfigFile('ECS_CLUSTER=c1\n');

    const run = await runBoot(pinned(version), { configFile });

    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      `registry-auth: error: secret ${version.arn} version ${version.versionId} is invalid: ${rule}`,
    );
    expectNoCredential(run.output);
    expect(readFileSync(configFile, 'utf8')).toBe('ECS_CLUSTER=c1\n');
  });

  it('installs jq with dnf only when jq is missing', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));

    const run = await runBoot(pinned(version), { path: noJqBin });

    expect(run.code).toBe(0);
    expect(run.dnfLog).toBe('install -y -q jq\n');
    expect(run.output).toContain('jq is missing: installing jq with dnf');
    expect(authData(run.configFile)).toEqual({ [registryA.host]: { ...alpha, email: '' } });
  });

  it('fails clearly when jq is missing and there is no package manager', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));

    const run = await runBoot(pinned(version), { path: noJqBin, withDnf: false });

    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'registry-auth: error: jq is missing and neither dnf nor yum is available to install it',
    );
  });

  it('fails clearly when the instance metadata service does not answer', async () => {
    const version = await createSecret(JSON.stringify({ registry_url: registryA.url, ...alpha }));
    const closed = `http://127.0.0.1:${await freePort()}`;

    const run = await runBoot(pinned(version), { imdsUrl: closed });

    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'registry-auth: error: could not get an IMDSv2 token from the instance metadata service',
    );
  });

  describe('Docker insecure-registries (Docker pulls over plain HTTP only from 127.0.0.0/8 and the hosts daemon.json lists)', () => {
    /** A stand-in dockerd: records every SIGHUP (dockerd's configuration reload) and keeps running. */
    function startDockerd(): {
      pidFile: string;
      hangups: () => number;
      alive: () => boolean;
      stop: () => void;
    } {
      runCount += 1;
      const dir = join(root, `dockerd-${runCount}`);
      mkdirSync(dir);
      const log = join(dir, 'hup.log');
      writeFileSync(log, '');
      const child = spawn(
        process.execPath,
        [
          '-e',
          `process.on('SIGHUP', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, 'HUP\\n')); setInterval(() => {}, 1000);`,
        ],
        { stdio: 'ignore' },
      );
      const pidFile = join(dir, 'docker.pid');
      writeFileSync(pidFile, `${child.pid}\n`);
      return {
        pidFile,
        hangups: () =>
          readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line === 'HUP').length,
        alive: () => child.exitCode === null && child.signalCode === null,
        stop: () => child.kill('SIGKILL'),
      };
    }

    async function eventually(check: () => boolean): Promise<void> {
      for (let i = 0; i < 50 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    it('merges exactly the http:// registries into daemon.json, keeps the rest, and has a running dockerd reload (SIGHUP, no restart), once over two runs', async () => {
      const version = await createSecret(
        JSON.stringify({
          registries: [
            { registry_url: registryA.url, ...alpha },
            { registry_url: ' HTTP://Registry.Internal.Example:5000/v2/', ...beta },
            { registry_url: 'https://secure.example.com', ...hub },
            { registry_url: 'docker.io', username: 'hub-2', password: 'x' },
          ],
        }),
      );
      const daemonConfig = join(root, `etc-docker-${runCount}`, 'daemon.json');
      mkdirSync(join(daemonConfig, '..'));
      writeFileSync(
        daemonConfig,
        JSON.stringify({ 'log-driver': 'json-file', 'insecure-registries': ['10.0.0.5:5000'] }),
      );
      const dockerd = startDockerd();
      try {
        const first = await runBoot(pinned(version), { daemonConfig, dockerPidFile: dockerd.pidFile });
        await eventually(() => dockerd.hangups() === 1);
        const afterFirst = readFileSync(daemonConfig, 'utf8');
        const second = await runBoot(pinned(version), { daemonConfig, dockerPidFile: dockerd.pidFile });
        await new Promise((resolve) => setTimeout(resolve, 200));

        expect([first.code, second.code]).toEqual([0, 0]);
        expect(JSON.parse(afterFirst)).toEqual({
          'log-driver': 'json-file',
          'insecure-registries': ['10.0.0.5:5000', registryA.host, 'registry.internal.example:5000'],
        });
        expect(readFileSync(daemonConfig, 'utf8')).toBe(afterFirst);
        expect(statSync(daemonConfig).mode & 0o777).toBe(0o644);
        expect(dockerd.hangups()).toBe(1);
        expect(dockerd.alive()).toBe(true);
        expect(first.output).toContain('dockerd (');
        expectNoCredential(first.output + second.output);
      } finally {
        dockerd.stop();
      }
    });

    it('creates daemon.json when there is none, and leaves Docker alone without http:// registries', async () => {
      const withHttp = await createSecret(JSON.stringify({ registry_url: registryB.url, ...beta }));
      const httpsOnly = await createSecret(JSON.stringify({ registry_url: 'ghcr.io', ...beta }));
      const created = join(root, `etc-docker-new-${runCount}`, 'daemon.json');
      const untouched = join(root, `etc-docker-none-${runCount}`, 'daemon.json');

      const runs = [
        await runBoot(pinned(withHttp), { daemonConfig: created }),
        await runBoot(pinned(httpsOnly), { daemonConfig: untouched }),
      ];

      expect(runs.map((run) => run.code)).toEqual([0, 0]);
      expect(JSON.parse(readFileSync(created, 'utf8'))).toEqual({ 'insecure-registries': [registryB.host] });
      expect(existsSync(untouched)).toBe(false);
    });

    it('fails with a clear message when daemon.json is not JSON, changing nothing in it', async () => {
      const version = await createSecret(JSON.stringify({ registry_url: registryB.url, ...beta }));
      const daemonConfig = join(root, `etc-docker-bad-${runCount}`, 'daemon.json');
      mkdirSync(join(daemonConfig, '..'));
      writeFileSync(daemonConfig, '{ "log-driver": ');

      const run = await runBoot(pinned(version), { daemonConfig });

      expect(run.code).toBe(1);
      expect(run.output).toContain(`registry-auth: error: ${daemonConfig} is not JSON`);
      expect(readFileSync(daemonConfig, 'utf8')).toBe('{ "log-driver": ');
    });
  });
});
