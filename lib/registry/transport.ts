import { type HostResolver, networkProblem } from './network';
import { RegistryError, type RegistryErrorSource } from './registry-error';
import type { RegistryName } from './registry-name';

/** Redirects followed per request: docker and containerd follow Go's default of 10; 5 is plenty for a registry. */
export const MAX_REDIRECTS = 5;
/** Longest `Retry-After` passed on, in seconds (a day). */
const MAX_RETRY_AFTER_SECONDS = 86_400;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TLS_CODE = /CERT|^ERR_TLS|^ERR_SSL|^EPROTO$/;

/** What every request of one registry call shares. */
export interface RequestContext {
  readonly registry: RegistryName;
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
  /** The caller's deadline for the whole call, when it has one. */
  readonly signal?: AbortSignal;
  readonly resolve: HostResolver;
}

export interface Sent {
  readonly response: Response;
  /** Where the response came from, after any redirects. */
  readonly url: URL;
}

/** `who` names the other side in messages, e.g. `registry ghcr.io` or `token service ...`. */
export interface SendOptions {
  readonly authorization?: string;
  readonly who: string;
  readonly source: RegistryErrorSource;
}

/**
 * Errors thrown by fetch (undici) may come from another realm (a jest vm context, a bundled
 * copy), where `instanceof Error` is false; this guard checks the shape instead.
 */
function isErrorLike(
  value: unknown,
): value is { name: string; message: string; cause?: unknown; code?: unknown } {
  return typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string';
}

/** The first `code` (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...) on an error or its causes. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; isErrorLike(current) && depth < 4; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  return isErrorLike(error) && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** Turns a thrown fetch or body-read error into a RegistryError: timeout, tls or unreachable. */
export function transportError(context: RequestContext, options: SendOptions, error: unknown): RegistryError {
  const { registry, timeoutMs, signal } = context;
  const { who, source } = options;
  if (error instanceof RegistryError) return error;
  if (signal?.aborted) {
    return new RegistryError(
      'timeout',
      registry.name,
      undefined,
      `${who} did not answer before the deadline`,
      {
        cause: error,
        source,
      },
    );
  }
  if (isAbort(error)) {
    return new RegistryError(
      'timeout',
      registry.name,
      undefined,
      `${who} did not answer within ${timeoutMs} ms`,
      {
        cause: error,
        source,
      },
    );
  }
  const code = errorCode(error);
  if (code !== undefined && TLS_CODE.test(code)) {
    return new RegistryError('tls', registry.name, undefined, `TLS with ${who} failed (${code})`, {
      cause: error,
      source,
    });
  }
  return new RegistryError(
    'unreachable',
    registry.name,
    undefined,
    `${who} is unreachable (${code ?? 'connection failed'})`,
    { cause: error, source },
  );
}

/** Runs `work` unless the caller's deadline passes first. */
export async function beforeDeadline<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (signal === undefined) return work;
  // Abandoned at the deadline, `work` may still fail later: that failure is nobody's to handle.
  work.catch(() => undefined);
  signal.throwIfAborted();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Discards a response body that is not read. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * One request, following redirects as docker and containerd do, with two limits of our own: at
 * most MAX_REDIRECTS hops, and no hop from https down to http. `authorization` goes only to the
 * origin (scheme, host and port) it was meant for, never to a host a redirect points at; a
 * redirect to another host is followed only if that host passes the network policy (no metadata
 * address, no internal address the registry is not on). Throws RegistryError.
 */
export async function send(
  context: RequestContext,
  url: URL,
  method: 'GET' | 'HEAD',
  headers: Readonly<Record<string, string>>,
  options: SendOptions,
): Promise<Sent> {
  const signal = context.signal
    ? AbortSignal.any([AbortSignal.timeout(context.timeoutMs), context.signal])
    : AbortSignal.timeout(context.timeoutMs);
  let current = url;
  try {
    for (let hop = 0; ; hop += 1) {
      const sameOrigin = current.origin === url.origin;
      const authorization =
        sameOrigin && options.authorization ? { authorization: options.authorization } : {};
      const response = await fetch(current, {
        method,
        headers: { ...headers, ...authorization },
        redirect: 'manual',
        signal,
      });
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return { response, url: current };
      await discard(response);
      current = await redirectTarget(context, options, current, location, hop);
    }
  } catch (error) {
    throw transportError(context, options, error);
  }
}

/**
 * The next URL of a redirect from `from` to `location` (relative or absolute), or a RegistryError
 * saying why it is not followed: past MAX_REDIRECTS, not http(s), https down to http, user info,
 * or another host the network policy refuses.
 */
export async function redirectTarget(
  context: RequestContext,
  options: SendOptions,
  from: URL,
  location: string,
  hop: number,
): Promise<URL> {
  const { registry } = context;
  const refuse = (why: string) =>
    new RegistryError('unexpected-status', registry.name, undefined, `${options.who} ${why}; not followed`, {
      source: options.source,
    });
  if (hop >= MAX_REDIRECTS) throw refuse(`redirected more than ${MAX_REDIRECTS} times`);
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw refuse('redirected to an invalid URL');
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    throw refuse('redirected to a non-http(s) URL');
  if (from.protocol === 'https:' && target.protocol === 'http:')
    throw refuse('redirected from https to plain http');
  if (target.username !== '' || target.password !== '') throw refuse('redirected to a URL with user info');
  if (target.origin !== from.origin) {
    const problem = await beforeDeadline(
      context.signal,
      networkProblem(new URL(registry.apiBase).hostname, target.hostname, context.resolve),
    );
    if (problem !== undefined) throw refuse(`redirected to ${target.host}, ${problem}`);
  }
  return target;
}

/**
 * Reads a response body as text, at most `maxBytes` (checked against Content-Length first, then
 * while streaming). Throws RegistryError `unexpected-status` past the limit.
 */
export async function readCapped(
  context: RequestContext,
  options: SendOptions,
  response: Response,
  maxBytes: number,
): Promise<string> {
  const tooLarge = () =>
    new RegistryError(
      'unexpected-status',
      context.registry.name,
      response.status,
      `${options.who} answered with a body over ${maxBytes} bytes`,
      { source: options.source },
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await discard(response);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      total += next.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(next.value);
    }
  } catch (error) {
    throw transportError(context, options, error);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Seconds from a `Retry-After` header (delta-seconds or an HTTP date), at least 1 and at most a
 * day; undefined when absent or unreadable.
 */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  let seconds = Number.NaN;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else if (/^[A-Za-z]{3}, /.test(text)) seconds = Math.ceil((Date.parse(text) - now) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 1), MAX_RETRY_AFTER_SECONDS);
}

/** The RegistryError for a registry's final answer: throttled (429), unauthorized (401/403) or unexpected-status. */
export function statusError(
  registry: RegistryName,
  response: Response,
  what: string,
  now: number,
): RegistryError {
  const status = response.status;
  if (status === 429) {
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), now);
    return new RegistryError(
      'throttled',
      registry.name,
      status,
      `registry ${registry.name} throttled the ${what} (HTTP 429)`,
      retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter },
    );
  }
  if (status === 401 || status === 403) {
    return new RegistryError(
      'unauthorized',
      registry.name,
      status,
      `registry ${registry.name} refused the credentials (${what}: HTTP ${status})`,
    );
  }
  return new RegistryError(
    'unexpected-status',
    registry.name,
    status,
    `registry ${registry.name} answered HTTP ${status} (${what})`,
  );
}
