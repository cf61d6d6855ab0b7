/** A bench target and whether this run met it. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The median of some samples (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/**
 * The nearest-rank percentile of some samples (p50 of an even count averages the middle two, so
 * a median of 2k samples is not biased up).
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  if (p === 50 && sorted.length % 2 === 0) {
    const half = sorted.length / 2;
    return ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** A markdown table, columns padded so it also reads well in a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, 3, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** For a target's measured value: enough digits that a ratio just over a limit does not print as equal. */
export function preciseRatio(value: number): string {
  return `${value.toFixed(3)}×`;
}

export function metOrNot(met: boolean): string {
  return met ? 'met' : '**not met**';
}

const benchStartedAt = Date.now();

/** Progress lines go to stderr, so stdout is only the report (pasteable into the README). */
export function progress(message: string): void {
  const seconds = ((Date.now() - benchStartedAt) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`[bench ${seconds} s] ${message}\n`);
}

/** One section and its targets, as the scripts that run a single section print them. */
export function printSection(section: {
  readonly markdown: string;
  readonly targets: readonly TargetResult[];
}): void {
  const rows = section.targets.map((target) => [target.target, target.measured, metOrNot(target.met)]);
  process.stdout.write(`${section.markdown}\n\n${table(['target', 'measured', 'result'], rows)}\n`);
}

/** Runs a bench entry point: a failure is reported with its stack on stderr and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  });
}
