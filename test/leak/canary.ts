import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** A recognisable credential, and every form in which it could slip out. */
export interface Canary {
  readonly username: string;
  readonly password: string;
  /** Each form searched for, by name. */
  readonly needles: ReadonlyArray<{ readonly form: string; readonly value: string }>;
}

/**
 * The parts of base64(prefix + text) that depend on `text` alone, for each of the three byte
 * alignments `text` can have inside a longer encoded blob. Whatever surrounds the text (a
 * `user:` in front, JSON around it), one of these appears in the encoding.
 */
export function base64Fragments(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const fragments: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    fragments.push(encoded.slice(start, end));
  }
  return fragments;
}

/**
 * A password `LEAK-canary-<32 hex>+/=@!~`: the random part is found however the text around it is
 * changed; the punctuation makes its URL-encoded form differ from the plain one.
 */
export function makeCanary(username = 'leak-bot'): Canary {
  const core = randomBytes(16).toString('hex');
  const password = `LEAK-canary-${core}+/=@!~`;
  const needles: { form: string; value: string }[] = [
    { form: 'password', value: password },
    { form: 'random part of the password', value: core },
    { form: 'random part, upper case', value: core.toUpperCase() },
    { form: 'URL-encoded password', value: encodeURIComponent(password) },
    { form: 'hex of the random part', value: Buffer.from(core).toString('hex') },
    { form: 'base64 of the password', value: Buffer.from(password).toString('base64') },
    {
      form: 'base64 of user:password (Basic auth)',
      value: Buffer.from(`${username}:${password}`).toString('base64'),
    },
    {
      form: 'base64 of the ECS auth data entry',
      value: Buffer.from(JSON.stringify({ username, password, email: '' })).toString('base64'),
    },
  ];
  for (const [index, fragment] of base64Fragments(core).entries()) {
    needles.push({ form: `base64 of the random part (alignment ${index})`, value: fragment });
    needles.push({
      form: `base64url of the random part (alignment ${index})`,
      value: fragment.replaceAll('+', '-').replaceAll('/', '_'),
    });
  }
  return { username, password, needles };
}

/** The forms of the canary found in `text`. */
export function findLeaks(canary: Canary, text: string): string[] {
  return canary.needles.filter((needle) => text.includes(needle.value)).map((needle) => needle.form);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * Everything a thrown value shows: String(), message, stack, JSON.stringify, util.inspect with
 * hidden properties, and the same for each `cause` (and AggregateError member) down the chain.
 */
export function renderThrown(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (depth > 10 || seen.has(value)) return;
    seen.add(value);
    parts.push(String(value), safeJson(value), inspect(value, { depth: 12, showHidden: true }));
    if (value instanceof Error) {
      parts.push(value.message, value.stack ?? '');
      visit(value.cause, depth + 1);
      if (value instanceof AggregateError) for (const member of value.errors) visit(member, depth + 1);
    }
  };
  visit(error, 0);
  return parts.join('\n');
}

export interface Captured<T> {
  /** Every byte written to stdout and stderr, and every console call, in order. */
  readonly output: string;
  readonly result: T | undefined;
  readonly error: unknown;
  readonly threw: boolean;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Runs `work` while recording stdout, stderr and console; keeps its result or what it threw. */
export async function capture<T>(work: () => Promise<T>): Promise<Captured<T>> {
  const chunks: string[] = [];
  const write = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(write),
    jest.spyOn(process.stderr, 'write').mockImplementation(write),
    ...CONSOLE_METHODS.map((method) =>
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        chunks.push(
          args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 12 }))).join(' '),
        );
      }),
    ),
  ];
  try {
    const result = await work();
    return { output: chunks.join('\n'), result, error: undefined, threw: false };
  } catch (error) {
    return { output: chunks.join('\n'), result: undefined, error, threw: true };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
