import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a JSON fixture from `test/fixtures/` (`loadFixture<HttpEvent>('http/post-jobs.json')`).
 * Every call parses the file again, so a test may change what it gets without touching others.
 */
export function loadFixture<T>(path: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8')) as T;
}
