import { type Challenge, parseChallenges, tokenRealmUrl } from './challenge';
import { digestProblem, ImageReferenceError, PATH_COMPONENT, TAG } from './reference';
import { type BasicCredentials, RegistryError } from './registry-error';
import type { RegistryName } from './registry-name';
import { DEFAULT_TOKEN_SECONDS, TokenCache } from './token-cache';

export { type Challenge, parseChallenges, tokenRealmUrl } from './challenge';
export { type BasicCredentials, RegistryError, type RegistryErrorKind } from './registry-error';

export interface RegistryClientOptions {
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
  /** Clock for token expiry; injectable for tests. */
  readonly now?: () => number;
}

/** The media types a manifest check accepts: Docker v2, Docker manifest list, OCI manifest, OCI index. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimeout(error: unknown): boolean {
  return isErrorLike(error) && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

const TLS_CODE = /CERT|^ERR_TLS|^ERR_SSL|^EPROTO$/;

/**
 * Registry HTTP API v2 client: login and manifest checks. Follows a `Bearer` challenge to the
 * token service (Basic credentials, `service` and `scope`), answers a `Basic` challenge with
 * Basic, and goes anonymous when the registry allows it. Tokens are reused until shortly before
 * they expire, cached per (registry, scope, credentials) under an HMAC key, so no credential is
 * held in a readable map key. One client per container is enough.
 */
export class RegistryClient {
  private readonly tokens: TokenCache;
  private readonly basicRegistries = new Set<string>();
  private readonly now: () => number;

  constructor(readonly options: RegistryClientOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
  }

  /**
   * `GET /v2/` with the credentials (following a Bearer challenge without a scope). Resolves when
   * the registry accepts them (or allows anonymous access); throws RegistryError: `unauthorized`
   * for rejected credentials, `not-found` when the host serves no `/v2/`, `unreachable`, `tls`,
   * `unexpected-status`.
   */
  async login(registry: RegistryName, credentials: BasicCredentials | undefined): Promise<void> {
    const { response } = await this.send(registry, 'GET', '/v2/', {}, credentials, undefined);
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    if (response.status === 404) {
      throw new RegistryError(
        'not-found',
        registry.name,
        404,
        `registry ${registry.name} answered 404 for /v2/: it does not serve the Registry HTTP API v2 there`,
      );
    }
    throw this.statusError(registry, response.status, 'login');
  }

  /**
   * `HEAD /v2/<repository>/manifests/<reference>` (tag or digest) with the Docker and OCI manifest
   * media types, authorised for scope `repository:<repository>:pull`. Resolves true when it
   * exists, false on 404; throws RegistryError otherwise.
   */
  async manifestExists(
    registry: RegistryName,
    repository: string,
    reference: string,
    credentials: BasicCredentials | undefined,
  ): Promise<boolean> {
    if (!repository.split('/').every((component) => PATH_COMPONENT.test(component))) {
      throw new ImageReferenceError('repository is not a valid repository path');
    }
    if (!TAG.test(reference) && digestProblem(reference) !== undefined) {
      throw new ImageReferenceError('manifest reference is neither a tag nor a digest');
    }
    const { response, bearer } = await this.send(
      registry,
      'HEAD',
      `/v2/${repository}/manifests/${reference}`,
      { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      credentials,
      `repository:${repository}:pull`,
    );
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    if (bearer && (response.status === 401 || response.status === 403)) {
      // The token service accepted the credentials, yet the token does not reach this repository
      // (`insufficient_scope`): Docker Hub and others answer so for a repository that is missing
      // or not readable by these credentials. The caller can fix that; the credentials are fine.
      throw new RegistryError(
        'not-found',
        registry.name,
        response.status,
        `registry ${registry.name} has no repository ${repository} these credentials can read (HTTP ${response.status})`,
      );
    }
    throw this.statusError(registry, response.status, `manifest check for ${repository}`);
  }

  private statusError(registry: RegistryName, status: number, what: string): RegistryError {
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

  /**
   * One request, authorised from the cache when possible, retried once after a 401 challenge.
   * `bearer` says the answer came to a request carrying a token the token service issued.
   */
  private async send(
    registry: RegistryName,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    credentials: BasicCredentials | undefined,
    scope: string | undefined,
  ): Promise<{ response: Response; bearer: boolean }> {
    const url = `${registry.apiBase}${path}`;
    const cached = this.tokens.get(registry.apiBase, scope, credentials);
    let authorization: string | undefined;
    if (cached !== undefined) authorization = `Bearer ${cached}`;
    else if (credentials && this.basicRegistries.has(registry.apiBase))
      authorization = basicHeader(credentials);

    const first = await this.fetch(registry, url, method, { ...headers, ...this.auth(authorization) });
    if (first.status !== 401) return { response: first, bearer: cached !== undefined };
    const header = first.headers.get('www-authenticate') ?? '';
    await first.body?.cancel().catch(() => undefined);
    const challenges = parseChallenges(header);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const basic = challenges.find((challenge) => challenge.scheme === 'basic');
    if (bearer) {
      const token = await this.fetchToken(registry, bearer, credentials, scope);
      const response = await this.fetch(registry, url, method, {
        ...headers,
        authorization: `Bearer ${token}`,
      });
      return { response, bearer: true };
    }
    if (basic && credentials && authorization === undefined) {
      this.basicRegistries.add(registry.apiBase);
      const response = await this.fetch(registry, url, method, {
        ...headers,
        authorization: basicHeader(credentials),
      });
      return { response, bearer: false };
    }
    return { response: first, bearer: false };
  }

  private auth(authorization: string | undefined): Record<string, string> {
    return authorization === undefined ? {} : { authorization };
  }

  private async fetch(
    registry: RegistryName,
    url: string | URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    service = `registry ${registry.name}`,
  ): Promise<Response> {
    try {
      // No redirects: a registry's /v2/ and manifest answers have none, and following one could
      // hand a foreign host the challenge that receives the stored credentials.
      return await fetch(url, {
        method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      if (isTimeout(error)) {
        throw new RegistryError(
          'unreachable',
          registry.name,
          undefined,
          `${service} did not answer within ${this.options.timeoutMs} ms`,
          { cause: error },
        );
      }
      const code = errorCode(error);
      if (code !== undefined && TLS_CODE.test(code)) {
        throw new RegistryError('tls', registry.name, undefined, `TLS with ${service} failed (${code})`, {
          cause: error,
        });
      }
      throw new RegistryError(
        'unreachable',
        registry.name,
        undefined,
        `${service} is unreachable (${code ?? 'connection failed'})`,
        { cause: error },
      );
    }
  }

  /** Gets a token from the challenge's realm (http(s) only; https when the registry is https). */
  private async fetchToken(
    registry: RegistryName,
    challenge: Challenge,
    credentials: BasicCredentials | undefined,
    scope: string | undefined,
  ): Promise<string> {
    const realm = tokenRealmUrl(registry, challenge.params.realm);
    const service = challenge.params.service;
    if (service) realm.searchParams.set('service', service);
    const wanted = scope ?? challenge.params.scope;
    if (wanted) realm.searchParams.set('scope', wanted);
    const tokenService = `token service ${realm.host} of registry ${registry.name}`;
    const headers = this.auth(credentials ? basicHeader(credentials) : undefined);
    const issuedAt = this.now();
    const response = await this.fetch(registry, realm, 'GET', headers, tokenService);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError(
        'unauthorized',
        registry.name,
        response.status,
        `${tokenService} refused the credentials (HTTP ${response.status})`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError(
        'unexpected-status',
        registry.name,
        response.status,
        `${tokenService} answered HTTP ${response.status}`,
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    const fields = isRecord(body) ? body : {};
    const token = typeof fields.token === 'string' ? fields.token : fields.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(
        'unexpected-status',
        registry.name,
        response.status,
        `${tokenService} answered without a token`,
      );
    }
    const lifetime =
      typeof fields.expires_in === 'number' && fields.expires_in > 0
        ? fields.expires_in
        : DEFAULT_TOKEN_SECONDS;
    this.tokens.set(registry.apiBase, scope, credentials, token, issuedAt, lifetime);
    return token;
  }
}
