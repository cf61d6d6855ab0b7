import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// The code the functions and the CLI run stays in files a reader can hold at once:
// about 300 lines, counted as `wc -l` does. A file past it is split along a real seam (as
// lib/task-credentials/sync.ts was, into the flow and apply-step.ts), not cut anywhere.

const ROOT = join(__dirname, '..', '..');
const SOURCE_FOLDERS = ['lib', 'handlers'];
const MAX_LINES = 300;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

describe('source file size', () => {
  it(`keeps every file of ${SOURCE_FOLDERS.join(', ')} within ${MAX_LINES} lines`, () => {
    const files = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)));

    const tooLong = files
      .map((file) => ({
        file: relative(ROOT, file),
        lines: readFileSync(file, 'utf8').split('\n').length - 1,
      }))
      .filter(({ lines }) => lines > MAX_LINES);

    expect(files.map((file) => relative(ROOT, file))).toContain(join('lib', 'task-credentials', 'sync.ts'));
    expect(tooLong).toEqual([]);
  });
});
