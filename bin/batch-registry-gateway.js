#!/usr/bin/env node
// The operator CLI (SPEC §12). lib/ is TypeScript that imports templates as text, so this launcher
// bundles lib/cli/main.ts with esbuild (as the functions are bundled) into .local/cli/ when a
// source is newer than the bundle, then runs it on this Node (24 through npx: the `node` devDependency).

const { mkdirSync, readdirSync, renameSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const outDir = join(root, '.local', 'cli');
const bundle = join(outDir, 'batch-registry-gateway.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return (
      built >=
      Math.max(
        newestSource(join(root, 'lib')),
        newestSource(join(root, 'userdata')),
        statSync(__filename).mtimeMs,
      )
    );
  } catch {
    return false;
  }
}

if (!bundleIsFresh()) {
  mkdirSync(outDir, { recursive: true });
  // A private temporary name, then a rename: concurrent first runs never read a half-written bundle.
  const temporary = `${bundle}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    loader: { '.sh': 'text', '.yaml': 'text' },
    packages: 'external',
    logLevel: 'warning',
    outfile: temporary,
  });
  renameSync(temporary, bundle);
}

require(bundle)
  .main(process.argv.slice(2), {
    root,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    defaultRegion: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    localStateFile: process.env.BRG_LOCAL_STATE || undefined,
  })
  .then((code) => {
    process.exitCode = code;
  });
