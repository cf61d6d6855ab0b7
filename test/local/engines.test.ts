import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// A fresh clone on a machine whose own Node is older than the project's: `npm ci` says nothing
// about the project's engine (devEngines describes the machine; engines the runtime the code is
// built for, which the `node` devDependency brings), and npm scripts run on that bundled Node.

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
});
