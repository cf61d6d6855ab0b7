// `npm run bench`: package size and cold load per function, the warm `POST /jobs` path, and the
// rollout's scaling, printed as markdown (progress goes to stderr). Loopback only; about 2 minutes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { basicAuth, pushImage, startRegistry } from '../scripts/servers/registry';
import { burstSection } from './burst';
import { clientSection } from './client';
import { coldStartSection } from './cold-start';
import { fleetReportSection } from './fleet-report';
import { GATEWAY_PASS_FLAG, gatewayPass, gatewaySection } from './gateway';
import { metOrNot, progress, runBench, type TargetResult, table } from './report';
import { rolloutSection } from './rollout';
import { startCountingProxy } from './stand-ins';
import { taskCredentialsSection } from './task-credentials';

async function main(): Promise<void> {
  // Bundled to .local/run.js by scripts/run-ts.sh, which runs it from the repository root.
  const root = resolve(__dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'brg-bench-'));
  const startedAt = Date.now();
  const [loadAverage = 0] = loadavg();
  const sections: string[] = [];
  const targets: TargetResult[] = [];
  const user = { username: 'bench-bot', password: randomBytes(18).toString('base64url') };
  progress('starting the registry');
  const registry = await startRegistry({ kind: 'htpasswd', users: [user] });
  const proxy = await startCountingProxy(registry.port);
  try {
    await pushImage(registry.url, 'team/app', '1.4.2', basicAuth(user));
    const benchRegistry = { proxy, ...user, repositoryTag: 'team/app:1.4.2' };

    const cold = await coldStartSection(root, dir);
    sections.push(cold.markdown);
    targets.push(...cold.targets);
    const submitJobBundle = cold.bundles.get('submitJob');
    if (submitJobBundle === undefined) throw new Error('serverless package built no submitJob function');
    const gateway = await gatewaySection(root, dir, benchRegistry, submitJobBundle);
    sections.push(gateway.markdown);
    targets.push(...gateway.targets);
    const rollout = await rolloutSection(benchRegistry);
    sections.push(rollout.markdown);
    targets.push(...rollout.targets);
    const taskCredentials = await taskCredentialsSection();
    sections.push(taskCredentials.markdown);
    targets.push(...taskCredentials.targets);
    const client = await clientSection();
    sections.push(client.markdown);
    targets.push(...client.targets);
    const fleet = await fleetReportSection();
    sections.push(fleet.markdown);
    targets.push(...fleet.targets);
    // Last: it loads the submitJob handler into this process with its own environment.
    const burst = await burstSection(root, dir);
    sections.push(burst.markdown);
    targets.push(...burst.targets);
  } finally {
    await proxy.stop();
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const report = [
    '## Benchmarks',
    '',
    `\`npm run bench\` on Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} × ${cpu};`,
    `load average ${loadAverage.toFixed(1)} when it started (timings are noisier on a busy machine);`,
    `${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - startedAt) / 1000)} s.`,
    '',
    ...sections.flatMap((section) => [section, '']),
    '### Targets',
    '',
    table(
      ['target', 'measured', 'result'],
      targets.map((target) => [target.target, target.measured, metOrNot(target.met)]),
    ),
    '',
    `${targets.filter((target) => target.met).length} of ${targets.length} targets met.`,
  ].join('\n');
  process.stdout.write(`${report}\n`);
}

if (process.argv[2] === GATEWAY_PASS_FLAG) void gatewayPass(process.argv[3] ?? '{}');
else runBench(main);
