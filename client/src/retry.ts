/** How the client retries 429, 502, 503 and network failures. */
export interface RetryOptions {
  /** Requests in all, the first included (1 turns retries off). Default 4, at most 10. */
  readonly maxAttempts?: number;
  /** First back-off step without a Retry-After. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** No single wait is longer, whatever Retry-After says. Default 20 s. */
  readonly maxDelayMs?: number;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503]);

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Fills in the defaults and bounds the options. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const maxAttempts = Math.min(10, Math.max(1, Math.floor(options.maxAttempts ?? 4)));
  const baseDelayMs = Math.max(0, options.baseDelayMs ?? 250);
  const maxDelayMs = Math.max(baseDelayMs, options.maxDelayMs ?? 20_000);
  return { maxAttempts, baseDelayMs, maxDelayMs };
}

/**
 * The wait before retry number `retry` (1 for the first): at least Retry-After when the gateway
 * sent one, plus up to 20 % jitter; otherwise exponential back-off with full jitter. Never above
 * `maxDelayMs`.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== undefined) {
    const floor = retryAfterSeconds * 1000;
    return Math.min(policy.maxDelayMs, floor + floor * 0.2 * random());
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return ceiling * random();
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
