// Only section 1 of `npm run bench` (package size and cold load per function): about a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { coldStartSection } from './cold-start';
import { printSection, runBench } from './report';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brg-bench-'));
  try {
    printSection(await coldStartSection(resolve(__dirname, '..'), dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
