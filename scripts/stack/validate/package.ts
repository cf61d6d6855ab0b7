// `serverless package` for one parameter combination (osls, offline: no AWS account, no network),
// returning the CloudFormation template it writes. Templates are cached under .local/ by a hash of
// the parameters and of every file that shapes the template, so the jest suites and
// `npm run validate` package each combination once per change, not once per caller.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Template } from './template';

/** The service directory: the nearest folder above this module holding serverless.yml. */
function serviceRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'serverless.yml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no serverless.yml above ${from}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = serviceRoot(__dirname);
export const STAGE = 'test';

// What the template is made from: the service definition, its plugins, the user data renderer and
// templates (the initial user data), and the installed framework's version.
const INPUTS = ['serverless.yml', 'package-lock.json', 'scripts/stack', 'lib', 'userdata', 'handlers'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

function cacheKey(params: Record<string, string>, root: string): string {
  const hash = createHash('sha256').update(JSON.stringify([STAGE, Object.entries(params).sort()]));
  for (const file of INPUTS.flatMap((input) => files(join(root, input)))) {
    if (file.includes(`${join('scripts', 'stack', 'validate')}`)) continue;
    hash.update(relative(root, file)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 24);
}

function run(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(cwd, 'node_modules', '.bin', 'serverless'), args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

export class PackageError extends Error {
  override name = 'PackageError';
}

/**
 * The packaged template for these `--param` values (a parameter serverless.yml does not know is
 * ignored, as osls ignores it). Throws PackageError with the framework's output when packaging fails.
 */
export async function packageTemplate(params: Record<string, string>, root = ROOT): Promise<Template> {
  const key = cacheKey(params, root);
  const cacheDir = join(root, '.local', 'stack-templates');
  const cached = join(cacheDir, `${key}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Template;
  return withPackageLock(root, async () => {
    // Another process may have packaged the same combination while this one waited.
    if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Template;
    const out = mkdtempSync(join(tmpdir(), 'brg-validate-'));
    try {
      await runPackage(params, out, root);
      const text = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
      mkdirSync(cacheDir, { recursive: true });
      // Written whole, then renamed: a concurrent reader never sees half a file.
      writeFileSync(`${cached}.${process.pid}`, text);
      renameSync(`${cached}.${process.pid}`, cached);
      return JSON.parse(text) as Template;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

/** `serverless package` into `out` (template and zips), one packaging of this service at a time. */
export function packageStack(params: Record<string, string>, out: string, root = ROOT): Promise<void> {
  return withPackageLock(root, () => runPackage(params, out, root));
}

async function runPackage(params: Record<string, string>, out: string, root: string): Promise<void> {
  const workFolder = `.esbuild-package-${process.pid}`;
  const args = ['package', '--stage', STAGE, '--package', out];
  for (const [name, value] of Object.entries(params)) args.push(`--param=${name}=${value}`);
  try {
    const { status, output } = await run(args, root, {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      BRG_ESBUILD_WORK_FOLDER: workFolder,
    });
    if (status !== 0)
      throw new PackageError(`serverless package failed (${JSON.stringify(params)}):\n${output}`);
  } finally {
    rmSync(join(root, workFolder), { recursive: true, force: true });
  }
}

/**
 * osls always writes its state to the service's .serverless/ and cleans that folder first, so two
 * packagings of one service directory must not overlap: a lock under .local/ holds them one at a
 * time across processes (jest workers, npm run validate).
 */
async function withPackageLock<T>(root: string, task: () => Promise<T>): Promise<T> {
  const release = await lock(join(root, '.local', 'serverless-package.lock'));
  try {
    return await task();
  } finally {
    release();
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A directory lock holding this process's id; a lock whose process is gone is taken over. */
async function lock(path: string): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(existsSync(join(path, 'pid')) ? readFileSync(join(path, 'pid'), 'utf8') : 0);
      if (holder > 0 && !isAlive(holder)) rmSync(path, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
