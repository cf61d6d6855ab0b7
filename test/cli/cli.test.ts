import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { versionDescriptionFor } from '../../lib/rollout/launch-template';
import { renderUserData } from '../../lib/rollout/user-data';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { enableRotation, provisionBatchFleet } from '../../scripts/servers/moto-fleet';
import { type RegistryUser, type RunningRegistry, startRegistry } from '../../scripts/servers/registry';

// The CLI as operators run it: bin/batch-registry-gateway.js (esbuild bundle of lib/cli on the
// project's Node), --local against moto and the real registry, both output forms read back.

jest.setTimeout(120000);

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'batch-registry-gateway.js');
const user: RegistryUser = { username: 'cli-bot', password: 'cli-pass-LEAK-CANARY-9q' };
const wrong: RegistryUser = { username: 'cli-bot', password: 'wrong-LEAK-CANARY-8z' };

let moto: RunningMoto;
let registry: RunningRegistry;
let secrets: SecretsManagerClient;
let ec2: EC2Client;
let dir: string;
let stateFile: string;
let secretArn: string;
let stagingSecretArn: string;
let launchTemplateId: string;
let currentVersion: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, BRG_LOCAL_STATE: stateFile, AWS_REGION: 'us-east-1' },
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
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function secretFile(name: string, who: RegistryUser): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ registries: [{ registry_url: registry.url, ...who }] }), {
    mode: 0o600,
  });
  return file;
}

function expectNoCredential(run: Run): void {
  for (const value of [user.password, wrong.password]) {
    expect(run.stdout).not.toContain(value);
    expect(run.stderr).not.toContain(value);
  }
}

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry({ kind: 'htpasswd', users: [user] })]);
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  secrets = new SecretsManagerClient(config);
  ec2 = new EC2Client(config);
  dir = mkdtempSync(join(tmpdir(), 'brg-cli-'));
  const secret = await secrets.send(
    new CreateSecretCommand({
      Name: 'brg-cli-registry-credentials',
      SecretString: JSON.stringify({ registries: [{ registry_url: registry.url, ...user }] }),
    }),
  );
  secretArn = secret.ARN ?? '';
  currentVersion = await enableRotation(secrets, secretArn);
  const staging = await secrets.send(
    new CreateSecretCommand({ Name: 'brg-cli-staging', SecretString: '{}' }),
  );
  stagingSecretArn = staging.ARN ?? '';
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'brg-cli',
      VersionDescription: 'initial version; reads the secret AWSCURRENT at boot',
      LaunchTemplateData: {
        UserData: Buffer.from(
          renderUserData({ secretArn, secretVersion: { versionStage: 'AWSCURRENT' } }),
        ).toString('base64'),
      },
    }),
  );
  launchTemplateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
  const fleet = await provisionBatchFleet(
    { endpoint: moto.endpoint, region: 'us-east-1' },
    { name: 'brg-cli', launchTemplate: { launchTemplateId, version: '$Default' } },
  );
  stateFile = join(dir, 'stack.json');
  writeFileSync(
    stateFile,
    JSON.stringify({
      motoEndpoint: moto.endpoint,
      secretArn,
      stagingSecretArn,
      launchTemplateId,
      computeEnvironment: fleet.computeEnvironmentArn,
      jobQueue: fleet.jobQueueArn,
    }),
  );
}, 120000);

afterAll(async () => {
  secrets?.destroy();
  ec2?.destroy();
  await Promise.all([moto?.stop(), registry?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('batch-registry-gateway CLI', () => {
  it('check logs in to every registry of AWSCURRENT and says what instance credentials expose', async () => {
    const human = await cli('check', '--local');
    const machine = await cli('check', '--local', '--json');

    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${registry.host.replace('.', '\\.')}\\s+│ ok`));
    expect(human.stdout).toContain('can reach the instance role');
    expect(machine.code).toBe(0);
    expect(JSON.parse(machine.stdout)).toMatchObject({
      source: `AWSCURRENT (${currentVersion})`,
      registries: [{ registry: registry.host, ok: true }],
      problems: [],
    });
    expectNoCredential(human);
    expectNoCredential(machine);
  });

  it('check --file reports a refused login with its HTTP status and exits 1, never echoing the file', async () => {
    const file = secretFile('wrong.json', wrong);

    const human = await cli('check', '--local', '--file', file);
    const machine = await cli('check', '--local', '--file', file, '--json');

    expect(human.code).toBe(1);
    expect(human.stdout).toContain('failed: 401 unauthorized');
    expect(machine.code).toBe(1);
    expect(JSON.parse(machine.stdout)).toMatchObject({
      registries: [{ registry: registry.host, ok: false, status: 401, reason: 'unauthorized' }],
      problems: [`${registry.host}: login failed (HTTP 401, unauthorized)`],
    });
    expectNoCredential(human);
    expectNoCredential(machine);
  });

  it('plan shows the rollout of AWSCURRENT and writes nothing', async () => {
    const before = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }),
    );

    const machine = await cli('plan', '--local', '--json');
    const human = await cli('plan', '--local');

    const after = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }),
    );
    expect(after.LaunchTemplateVersions).toEqual(before.LaunchTemplateVersions);
    expect(machine.code).toBe(0);
    expect(JSON.parse(machine.stdout)).toMatchObject({
      secretVersionId: currentVersion,
      launchTemplate: { id: launchTemplateId, version: 2, action: 'create' },
      computeEnvironments: [{ action: 'update', reason: 'update to launch template version 2' }],
      prune: [],
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`A rollout of secret version ${currentVersion} would:`);
    expect(human.stdout).toContain('create version 2 from default version 1');
  });

  it('status reports a default launch template version that does not name AWSCURRENT, then all clear', async () => {
    const stale = await cli('status', '--local', '--json');
    const created = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: launchTemplateId,
        SourceVersion: '1',
        VersionDescription: versionDescriptionFor(currentVersion),
        LaunchTemplateData: {},
      }),
    );
    await ec2.send(
      new ModifyLaunchTemplateCommand({
        LaunchTemplateId: launchTemplateId,
        DefaultVersion: String(created.LaunchTemplateVersion?.VersionNumber),
      }),
    );

    const machine = await cli('status', '--local', '--json');
    const human = await cli('status', '--local');

    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout).problems[0]).toContain('does not name AWSCURRENT');
    expect(machine.code).toBe(0);
    const data = JSON.parse(machine.stdout);
    expect(data.secret.versions).toContainEqual({ versionId: currentVersion, stages: ['AWSCURRENT'] });
    expect(data).toMatchObject({
      launchTemplate: { id: launchTemplateId, defaultVersion: 2, secretVersionId: currentVersion },
      computeEnvironments: [
        { name: 'brg-cli', state: 'ENABLED', launchTemplateVersion: '$Default', current: 0 },
      ],
      instances: { total: 0, converged: true },
      problems: [],
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Secret ${secretArn}`);
    expect(human.stdout).toContain('Instances: 0 (0 current, 0 stale, 0 unknown)');
    expect(human.stdout).toContain(`Converged on ${currentVersion}: yes, older credentials may be revoked`);
    expectNoCredential(human);
  });

  it('render-user-data prints the user data for a version and refuses a malformed one with exit 2', async () => {
    const human = await cli('render-user-data', '--local', '--version-id', currentVersion);
    const machine = await cli('render-user-data', '--local', '--version-id', currentVersion, '--json');
    const malformed = await cli('render-user-data', '--local', '--version-id', 'not a version');

    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`SECRET_VERSION_ID='${currentVersion}'`);
    expect(human.stdout.startsWith('MIME-Version: 1.0')).toBe(true);
    expect(JSON.parse(machine.stdout)).toMatchObject({ secretArn, secretVersionId: currentVersion });
    expect(JSON.parse(machine.stdout).bytes).toBeLessThan(16384);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('secretVersion.versionId must be 32-64 characters');
    expectNoCredential(human);
  });

  it('stage puts the file into the staging secret and starts the rotation, printing its version id only', async () => {
    const file = secretFile('next.json', user);

    const machine = await cli('stage', '--local', '--file', file, '--json');

    expect(machine.code).toBe(0);
    const data = JSON.parse(machine.stdout);
    const staged = await secrets.send(new GetSecretValueCommand({ SecretId: stagingSecretArn }));
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    expect(staged.SecretString).toBe(
      JSON.stringify({ registries: [{ registry_url: registry.url, ...user }] }),
    );
    expect(data).toMatchObject({ stagingSecretArn, secretArn, registries: [registry.host] });
    expect(Object.keys(described.VersionIdsToStages ?? {})).toContain(data.rotationVersionId);
    expectNoCredential(machine);
  });

  it.each([
    ['an unknown command', ['bogus']],
    ['an unknown option', ['status', '--local', '--verbose']],
    ['stage without --file', ['stage', '--local']],
  ])('exits 2 for %s', async (_case, args) => {
    const run = await cli(...args);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: /);
  });

  it('exits 1 naming the file when the local stack is not running, and rejects an invalid secret file by rule', async () => {
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ username: 'x', password: '' }));

    const saved = stateFile;
    stateFile = join(dir, 'absent.json');
    const missing = await cli('status', '--local').finally(() => {
      stateFile = saved;
    });
    const rejected = await cli('stage', '--local', '--file', invalid);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('start the local stack with npm start first');
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('invalid.json: the secret (docker.io): password is empty');
  });
});
