import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The client as it is published: tsup's ESM and CommonJS builds, loaded by plain Node, and the
// files `npm pack` would ship.

const clientDir = join(__dirname, '..', '..', 'client');

function node(args: readonly string[]) {
  return spawnSync(process.execPath, args, { cwd: clientDir, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  const built = spawnSync('npx', ['tsup'], { cwd: clientDir, encoding: 'utf8', timeout: 180_000 });
  if (built.status !== 0) throw new Error(`tsup failed:\n${built.stdout}\n${built.stderr}`);
}, 200_000);

const probe = (load: string) =>
  `${load}; const c = m.createGatewayClient({ endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com', region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });` +
  `const e = new m.GatewayError({ status: 404, title: 'Not Found', detail: 'No such job', attempts: 1 });` +
  `console.log(JSON.stringify({ exports: Object.keys(m).sort(), methods: Object.keys(c).sort(), error: [e instanceof Error, e.name, e.status, e.message] }));`;

const expected = {
  exports: ['FINAL_STATUSES', 'GatewayError', 'createGatewayClient'],
  methods: ['cancelJob', 'getJob', 'getJobLogs', 'listRegistries', 'submitJob', 'waitForJob'],
  error: [true, 'GatewayError', 404, '404 Not Found: No such job'],
};

describe('client package', () => {
  it('loads as ESM through its package name', () => {
    const run = node([
      '--input-type=module',
      '-e',
      probe("const m = await import('@batch-registry-gateway/client')"),
    ]);

    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(expected);
  });

  it('loads as CommonJS through its package name', () => {
    const run = node(['-e', probe("const m = require('@batch-registry-gateway/client')")]);

    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(expected);
  });

  it('ships type declarations for both, with the generated API types', () => {
    for (const file of ['index.d.ts', 'index.d.cts']) {
      const text = readFileSync(join(clientDir, 'dist', file), 'utf8');

      expect(text).toContain('declare function createGatewayClient');
      expect(text).toContain('interface SubmitJobRequest');
      expect(text).toContain('interface JobLogs');
    }
  });

  it('packs only the builds, the README and package.json, and depends on nothing of the service', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: clientDir, encoding: 'utf8' });
    const manifest = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8'));

    const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(
      (file) => file.path,
    );
    expect(files?.sort()).toEqual([
      'README.md',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@aws-crypto/sha256-js',
      '@aws-sdk/credential-providers',
      '@smithy/signature-v4',
    ]);
    for (const text of ['dist/index.js', 'dist/index.cjs'].map((file) =>
      readFileSync(join(clientDir, file), 'utf8'),
    )) {
      expect(text).not.toMatch(/lib\/|zod|@middy|aws-lambda-powertools/);
    }
  });

  it('lists its dependencies at the versions the repository installs', () => {
    const manifest = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8'));
    const rootManifest = JSON.parse(readFileSync(join(clientDir, '..', 'package.json'), 'utf8'));
    const installed = { ...rootManifest.dependencies, ...rootManifest.devDependencies };

    for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      expect({ name, version }).toEqual({ name, version: installed[name] });
    }
  });
});

describe('client README', () => {
  it('has an example of at most 10 lines that typechecks against the built package', () => {
    const readme = readFileSync(join(clientDir, 'README.md'), 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const file = join(clientDir, '.readme-example.mts');
    writeFileSync(file, example);

    const checked = spawnSync(
      'npx',
      [
        'tsc',
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--target',
        'es2022',
        '--types',
        'node',
        '--skipLibCheck',
        file,
      ],
      { cwd: clientDir, encoding: 'utf8', timeout: 120_000 },
    );
    rmSync(file, { force: true });

    expect(example.trim().split('\n').length).toBeLessThanOrEqual(10);
    expect(checked.stdout).toBe('');
    expect(checked.status).toBe(0);
  }, 130_000);
});
