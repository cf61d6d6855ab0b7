// IAM resource patterns are globs: `*` matches any run of characters (`/` and `:` included), `?`
// exactly one. Two patterns overlap when some ARN matches both.

/** True when at least one string matches both glob patterns. */
export function globsOverlap(left: string, right: string): boolean {
  // Breadth-first search over the product of the two patterns' positions.
  const seen = new Set<string>();
  const queue: Array<[number, number]> = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.pop() as [number, number];
    const key = `${i},${j}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === left.length && j === right.length) return true;
    const a = left[i];
    const b = right[j];
    // A `*` may match nothing.
    if (a === '*') queue.push([i + 1, j]);
    if (b === '*') queue.push([i, j + 1]);
    if (a === undefined || b === undefined) continue;
    // Both consume one character, if one character can satisfy both.
    const literalsDiffer = a !== '*' && a !== '?' && b !== '*' && b !== '?' && a !== b;
    if (literalsDiffer) continue;
    queue.push([a === '*' ? i : i + 1, b === '*' ? j : j + 1]);
  }
  return false;
}

/** An ARN format of the Service Authorization Reference or the resource spec (`${Var}`) as a glob. */
export function arnFormatGlob(format: string, known: Record<string, string>): string {
  return format.replace(/\$\{([^}]+)\}/g, (_, name: string) => known[name] ?? '*');
}
