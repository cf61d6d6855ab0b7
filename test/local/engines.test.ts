import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// A fresh clone on a machine whose own Node is older than the project's: `npm ci` and `npx` say nothing
// about the project's engine (devEngines describes the machine; the runtime the code is built for is
// the `node` devDependency and serverless.yml's nodejs24.x), and npm scripts run on that bundled Node.

const root = join(__dirname, '..', '..');
/** The machine's PATH, without this project's node_modules/.bin (as a new user's shell has it). */
const machinePath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((entry) => !entry.includes(join('node_modules', '.bin')))
  .join(delimiter);
const machineEnv = { ...process.env, PATH: machinePath };
for (const key of Object.keys(machineEnv))
  if (key.startsWith('npm_')) Reflect.deleteProperty(machineEnv, key);

describe('npm and the Node versions', () => {
  it("npm ci with the machine's Node warns about no engine of the project itself", () => {
    const dir = mkdtempSync(join(tmpdir(), 'brg-engines-'));
    try {
      for (const file of ['package.json', 'package-lock.json', '.npmrc'])
        copyFileSync(join(root, file), join(dir, file));

      const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--offline'], {
        cwd: dir,
        env: machineEnv,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const machineNode = spawnSync('node', ['--version'], {
        env: machineEnv,
        encoding: 'utf8',
      }).stdout.trim();

      expect(result.status).toBe(0);
      const name = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;
      expect({
        machineNode,
        warnings: result.stderr.split('\n').filter((line) => line.includes(name)),
      }).toEqual({
        machineNode,
        warnings: [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('runs npm scripts on the bundled Node 24, whatever Node the machine has', () => {
    const result = spawnSync('npm', ['exec', '--offline', '--', 'node', '--version'], {
      cwd: root,
      env: machineEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });

    expect(result.stdout.trim()).toMatch(/^v24\./);
  });

  it('declares no engines of its own, so the first npx after npm ci warns about none', () => {
    // npm exec's first run after `npm ci` checks the project's own `engines` against the machine's
    // Node (measured: a fresh clone with `engines.node` ">=24 <25" printed two EBADENGINE warnings on
    // `npx batch-registry-gateway --help` under Node 20, none without it). The runtime the code is
    // built for is the `node` devDependency and serverless.yml's runtime.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      engines?: unknown;
      devDependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: unknown }>;
    };
    const serverless = readFileSync(join(root, 'serverless.yml'), 'utf8');

    expect(manifest.engines).toBeUndefined();
    expect(lock.packages['']?.engines).toBeUndefined();
    expect(manifest.devDependencies.node).toMatch(/^24\./);
    expect(serverless).toMatch(/runtime: nodejs24\.x/);
  });
});
