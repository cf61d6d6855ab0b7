import Table from 'cli-table3';

/** What a command found: the machine form (`--json`), the human form, and the problems (exit 1). */
export interface CommandResult {
  readonly data: Record<string, unknown>;
  readonly text: string;
  readonly problems: readonly string[];
}

/** A plain table for people: no colours, so it pastes into a ticket as it is. */
export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const rendered = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) rendered.push(row.map(String));
  return rendered.toString();
}

/** A titled block of the human form. */
export function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

/** Progress on stderr for long waits; silent when stderr is not a terminal or output is JSON. */
export async function withProgress<T>(enabled: boolean, text: string, work: () => Promise<T>): Promise<T> {
  if (!enabled || !process.stderr.isTTY) return work();
  // ora is ESM-only and only needed on a terminal: loaded on demand.
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  try {
    const result = await work();
    spinner.succeed();
    return result;
  } catch (error) {
    spinner.fail();
    throw error;
  }
}
