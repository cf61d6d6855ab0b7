// Only section 2 of `npm run bench` (the warm `POST /jobs` path), on the submitJob bundle built with
// the functions' esbuild settings instead of a whole `serverless package`: a few minutes.
// `bash scripts/run-ts.sh bench/gateway-only.ts`
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { basicAuth, pushImage, startRegistry } from '../scripts/servers/registry';
import { buildLikeFunctions } from './cold-start';
import { GATEWAY_PASS_FLAG, gatewayPass, gatewaySection } from './gateway';
import { printSection, runBench } from './report';
import { startCountingProxy } from './stand-ins';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'brg-bench-'));
  const user = { username: 'bench-bot', password: randomBytes(18).toString('base64url') };
  const registry = await startRegistry({ kind: 'htpasswd', users: [user] });
  const proxy = await startCountingProxy(registry.port);
  try {
    await pushImage(registry.url, 'team/app', '1.4.2', basicAuth(user));
    const handlerFile = await buildLikeFunctions(
      root,
      "export { handler } from './handlers/submit-job';",
      join(dir, 'submit-job.js'),
    );
    const gateway = await gatewaySection(
      root,
      dir,
      { proxy, ...user, repositoryTag: 'team/app:1.4.2' },
      handlerFile,
    );
    printSection(gateway);
  } finally {
    await proxy.stop();
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === GATEWAY_PASS_FLAG) void gatewayPass(process.argv[3] ?? '{}');
else runBench(main);
