import { type Challenge, tokenRealmUrl } from './challenge';
import { networkProblem } from './network';
import { type BasicCredentials, RegistryError } from './registry-error';
import { DEFAULT_TOKEN_SECONDS } from './token-cache';
import {
  beforeDeadline,
  discard,
  type RequestContext,
  readCapped,
  retryAfterSeconds,
  send,
  transportError,
} from './transport';

/**
 * Largest token response read. Registry tokens are a few KiB (JWTs with an x5c chain, OAuth2
 * access tokens); a larger body is refused before it can exhaust the function's memory.
 */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export interface IssuedToken {
  readonly token: string;
  readonly lifetimeSeconds: number;
}

export function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The realm URL of a Bearer challenge with `service` and `scope` set. Throws RegistryError for a
 * realm tokenRealmUrl refuses, and for a realm host on an instance metadata address or on an
 * internal network (loopback, link-local, private) the registry itself is not on.
 */
export async function realmRequestUrl(
  context: RequestContext,
  challenge: Challenge,
  scope: string | undefined,
): Promise<URL> {
  const { registry } = context;
  const realm = tokenRealmUrl(registry, challenge.params.realm);
  let problem: string | undefined;
  try {
    problem = await beforeDeadline(
      context.signal,
      networkProblem(new URL(registry.apiBase).hostname, realm.hostname, context.resolve),
    );
  } catch (error) {
    const who = `token service ${realm.host} of registry ${registry.name}`;
    throw transportError(context, { who, source: 'token-service' }, error);
  }
  if (problem !== undefined) {
    throw new RegistryError(
      'unexpected-status',
      registry.name,
      401,
      `registry ${registry.name} named a token realm on ${problem}; it is not followed`,
      { source: 'token-service' },
    );
  }
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  const wanted = scope ?? challenge.params.scope;
  if (wanted) realm.searchParams.set('scope', wanted);
  return realm;
}

/**
 * Asks the token service at `realm` for a token with the credentials (Basic; anonymous without).
 * Throws RegistryError: `throttled` (429, with its Retry-After), `unauthorized` (401/403),
 * `unexpected-status` for any other status, a body over MAX_TOKEN_RESPONSE_BYTES or no token in
 * it — with source `token-service`, so the token service's status is never shown to a caller.
 */
export async function requestToken(
  context: RequestContext,
  realm: URL,
  credentials: BasicCredentials | undefined,
  now: () => number,
): Promise<IssuedToken> {
  const { registry } = context;
  const who = `token service ${realm.host} of registry ${registry.name}`;
  const options = {
    who,
    source: 'token-service' as const,
    ...(credentials ? { authorization: basicHeader(credentials) } : {}),
  };
  const { response } = await send(context, realm, 'GET', {}, options);
  const status = response.status;
  if (status === 429) {
    await discard(response);
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), now());
    throw new RegistryError('throttled', registry.name, 429, `${who} throttled the request (HTTP 429)`, {
      source: 'token-service',
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    });
  }
  if (status === 401 || status === 403) {
    await discard(response);
    throw new RegistryError(
      'unauthorized',
      registry.name,
      status,
      `${who} refused the credentials (HTTP ${status})`,
      {
        source: 'token-service',
      },
    );
  }
  if (!response.ok) {
    await discard(response);
    throw new RegistryError('unexpected-status', registry.name, status, `${who} answered HTTP ${status}`, {
      source: 'token-service',
    });
  }
  const text = await readCapped(context, options, response, MAX_TOKEN_RESPONSE_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = isRecord(body) ? body : {};
  const token = typeof fields.token === 'string' && fields.token !== '' ? fields.token : fields.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new RegistryError('unexpected-status', registry.name, status, `${who} answered without a token`, {
      source: 'token-service',
    });
  }
  const lifetimeSeconds =
    typeof fields.expires_in === 'number' && fields.expires_in > 0
      ? fields.expires_in
      : DEFAULT_TOKEN_SECONDS;
  return { token, lifetimeSeconds };
}
