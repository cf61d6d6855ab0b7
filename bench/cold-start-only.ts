// Only section 1 of `npm run bench` (package size and cold load per function): about a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { coldStartSection } from './cold-start';
import { metOrNot, progress, table } from './report';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brg-bench-'));
  try {
    const cold = await coldStartSection(resolve(__dirname, '..'), dir);
    const rows = cold.targets.map((target) => [target.target, target.measured, metOrNot(target.met)]);
    process.stdout.write(`${cold.markdown}\n\n${table(['target', 'measured', 'result'], rows)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
