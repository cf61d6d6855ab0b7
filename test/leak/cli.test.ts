import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/servers/processes';
import { type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import { findLeaks, makeCanary } from './canary';

// The operator CLI with a recognisable password in the secret files it reads: whatever it prints
// on stdout or stderr, in either form, holds the password in none of its forms. No AWS call is
// needed: the stack names no compute environment, and moto's endpoint is a closed port.

jest.setTimeout(60000);

const canary = makeCanary('cli-leak-bot');
const root = join(__dirname, '..', '..');
let registry: RunningRegistry;
let dir: string;
let stateFile: string;

function cli(...args: string[]): Promise<string> {
  const child = spawn(process.execPath, [join(root, 'bin', 'batch-registry-gateway.js'), ...args], {
    cwd: root,
    env: { ...process.env, BRG_LOCAL_STATE: stateFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return new Promise((resolve) => child.once('close', (code) => resolve(`${output}\nexit ${code}`)));
}

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  registry = await startRegistry({
    kind: 'htpasswd',
    users: [{ username: canary.username, password: 'the-registry-has-another' }],
  });
  dir = mkdtempSync(join(tmpdir(), 'brg-cli-leak-'));
  stateFile = file('stack.json', {
    motoEndpoint: `http://127.0.0.1:${await freePort()}`,
    secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:leak-registry-credentials-AbCdEf',
  });
});

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the CLI leaks nothing', () => {
  const credentials = () => ({
    registry_url: registry.url,
    username: canary.username,
    password: canary.password,
  });

  it.each([
    [
      'check with credentials the registry refuses',
      () => ['check', '--file', file('refused.json', { registries: [credentials()] })],
    ],
    [
      'check of a file that is not JSON',
      () => ['check', '--file', file('broken.json', `{"password":"${canary.password}"`)],
    ],
    [
      'stage of a file that names a registry twice',
      () => ['stage', '--file', file('twice.json', { registries: [credentials(), credentials()] })],
    ],
    [
      'stage of a file with an empty username',
      () => ['stage', '--file', file('empty.json', { ...credentials(), username: '' })],
    ],
  ])('%s', async (_case, args) => {
    const argv = args();

    const outputs = [await cli(...argv, '--local'), await cli(...argv, '--local', '--json')];

    for (const output of outputs) {
      expect(output).not.toMatch(/exit 0$/);
      expect(findLeaks(canary, output)).toEqual([]);
    }
  });
});
