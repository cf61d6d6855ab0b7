import { type Challenge, parseChallenges } from './challenge';
import { type HostResolver, systemResolver } from './network';
import { digestProblem, ImageReferenceError, PATH_COMPONENT, TAG } from './reference';
import { type BasicCredentials, RegistryError } from './registry-error';
import type { RegistryName } from './registry-name';
import { TokenCache } from './token-cache';
import { basicHeader, realmRequestUrl, requestToken } from './token-service';
import { discard, type RequestContext, send, statusError } from './transport';

export { type Challenge, parseChallenges, tokenRealmUrl } from './challenge';
export { type BasicCredentials, RegistryError, type RegistryErrorKind } from './registry-error';

export interface RegistryClientOptions {
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
  /** Clock for token expiry; injectable for tests. */
  readonly now?: () => number;
  /** Host name resolution for the network policy on realms and redirects; injectable for tests. */
  readonly resolve?: HostResolver;
}

/** Per call: the caller's deadline, which bounds every request of the call together. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** The media types a manifest check accepts: Docker v2, Docker manifest list, OCI manifest, OCI index. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

interface Answer {
  readonly response: Response;
  /** The response answered a request carrying a token a token service issued for this call. */
  readonly bearer: boolean;
  /** The response came from another origin than the registry's (after a redirect). */
  readonly foreign: boolean;
}

/**
 * Registry HTTP API v2 client: login and manifest checks, as docker and containerd make them.
 * Follows a `Bearer` challenge to the token service (Basic credentials, `service` and `scope`),
 * answers a `Basic` challenge with Basic, and goes anonymous when the registry allows it.
 * Follows redirects (registry.k8s.io answers every manifest request with one) without ever
 * sending credentials or tokens to another origin; a host a redirect leads to gets at most an
 * anonymous token from its own challenge. Tokens are reused until shortly before they expire
 * (TokenCache). One client per container is enough.
 */
export class RegistryClient {
  private readonly tokens: TokenCache;
  private readonly basicRegistries = new Set<string>();
  private readonly now: () => number;
  private readonly resolve: HostResolver;

  constructor(readonly options: RegistryClientOptions) {
    this.now = options.now ?? Date.now;
    this.resolve = options.resolve ?? systemResolver;
    this.tokens = new TokenCache(this.now);
  }

  /**
   * `GET /v2/` with the credentials (following a Bearer challenge without a scope). Resolves when
   * the registry accepts them (or allows anonymous access); throws RegistryError: `unauthorized`
   * for rejected credentials, `not-found` when the host serves no `/v2/`, `throttled`, `timeout`,
   * `unreachable`, `tls`, `unexpected-status`.
   */
  async login(
    registry: RegistryName,
    credentials: BasicCredentials | undefined,
    call: CallOptions = {},
  ): Promise<void> {
    const { response } = await this.exchange(
      this.context(registry, call),
      'GET',
      '/v2/',
      {},
      credentials,
      undefined,
    );
    await discard(response);
    if (response.ok) return;
    if (response.status === 404) {
      throw new RegistryError(
        'not-found',
        registry.name,
        404,
        `registry ${registry.name} answered 404 for /v2/: it does not serve the Registry HTTP API v2 there`,
      );
    }
    throw statusError(registry, response, 'login', this.now());
  }

  /**
   * `HEAD /v2/<repository>/manifests/<reference>` (tag or digest) with the Docker and OCI manifest
   * media types, authorised for scope `repository:<repository>:pull`. Resolves true when it
   * exists, false on 404; throws RegistryError otherwise (`not-found` when the credentials work
   * but do not reach the repository). `call.signal` bounds the whole check.
   */
  async manifestExists(
    registry: RegistryName,
    repository: string,
    reference: string,
    credentials: BasicCredentials | undefined,
    call: CallOptions = {},
  ): Promise<boolean> {
    if (!repository.split('/').every((component) => PATH_COMPONENT.test(component))) {
      throw new ImageReferenceError('repository is not a valid repository path');
    }
    if (!TAG.test(reference) && digestProblem(reference) !== undefined) {
      throw new ImageReferenceError('manifest reference is neither a tag nor a digest');
    }
    const { response, bearer, foreign } = await this.exchange(
      this.context(registry, call),
      'HEAD',
      `/v2/${repository}/manifests/${reference}`,
      { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      credentials,
      `repository:${repository}:pull`,
    );
    await discard(response);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    if ((bearer || foreign) && (response.status === 401 || response.status === 403)) {
      // The token service accepted the credentials, yet the token does not reach this repository
      // (`insufficient_scope`): Docker Hub and others answer so for a repository that is missing
      // or not readable by these credentials; or the host a redirect led to will not show it
      // anonymously. The caller can fix that; the credentials are fine.
      throw new RegistryError(
        'not-found',
        registry.name,
        response.status,
        `registry ${registry.name} has no repository ${repository} these credentials can read (HTTP ${response.status})`,
      );
    }
    throw statusError(registry, response, `manifest check for ${repository}`, this.now());
  }

  private context(registry: RegistryName, call: CallOptions): RequestContext {
    return {
      registry,
      timeoutMs: this.options.timeoutMs,
      resolve: this.resolve,
      ...(call.signal ? { signal: call.signal } : {}),
    };
  }

  /** One request, authorised from the cache when possible, answered once after a 401 challenge. */
  private async exchange(
    context: RequestContext,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    credentials: BasicCredentials | undefined,
    scope: string | undefined,
  ): Promise<Answer> {
    const { registry } = context;
    const url = new URL(`${registry.apiBase}${path}`);
    const who = `registry ${registry.name}`;
    const cached = this.tokens.get(url.origin, scope, credentials);
    let authorization: string | undefined;
    if (cached !== undefined) authorization = `Bearer ${cached}`;
    else if (credentials && this.basicRegistries.has(registry.apiBase))
      authorization = basicHeader(credentials);

    const first = await send(context, url, method, headers, {
      who,
      source: 'registry',
      ...(authorization ? { authorization } : {}),
    });
    const foreign = first.url.origin !== url.origin;
    if (first.response.status !== 401) {
      return { response: first.response, bearer: cached !== undefined && !foreign, foreign };
    }
    const challenges = parseChallenges(first.response.headers.get('www-authenticate') ?? '');
    await discard(first.response);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    if (foreign) {
      // A host the registry redirected to (registry.k8s.io → its upstream registry) holds none of
      // the registry's credentials: like containerd, ask its own token service anonymously.
      if (!bearer) return { response: first.response, bearer: false, foreign };
      const token = await this.token(context, first.url, bearer, undefined, scope);
      const retried = await send(context, first.url, method, headers, {
        who: `host ${first.url.host} that ${who} redirected to`,
        source: 'registry',
        authorization: `Bearer ${token}`,
      });
      return { response: retried.response, bearer: true, foreign: true };
    }
    if (bearer) {
      const token = await this.token(context, url, bearer, credentials, scope);
      const retried = await send(context, url, method, headers, {
        who,
        source: 'registry',
        authorization: `Bearer ${token}`,
      });
      const redirected = retried.url.origin !== url.origin;
      return { response: retried.response, bearer: !redirected, foreign: redirected };
    }
    const basic = challenges.find((challenge) => challenge.scheme === 'basic');
    if (basic && credentials && authorization === undefined) {
      this.basicRegistries.add(registry.apiBase);
      const retried = await send(context, url, method, headers, {
        who,
        source: 'registry',
        authorization: basicHeader(credentials),
      });
      return { response: retried.response, bearer: false, foreign: retried.url.origin !== url.origin };
    }
    return { response: first.response, bearer: false, foreign };
  }

  /**
   * A token for `scope` at the origin of `at`, from the cache or the challenge's realm. A scoped
   * refusal with credentials is told apart from refused credentials by logging in without a
   * scope (GHCR answers 403 DENIED on the token request for a repository the credentials cannot
   * read, where Docker Hub issues a token without access): when that login succeeds, the
   * refusal is about the repository (`not-found`), not the credentials.
   */
  private async token(
    context: RequestContext,
    at: URL,
    challenge: Challenge,
    credentials: BasicCredentials | undefined,
    scope: string | undefined,
  ): Promise<string> {
    const cached = this.tokens.get(at.origin, scope, credentials);
    if (cached !== undefined) return cached;
    const realmContext: RequestContext = {
      ...context,
      registry: { ...context.registry, scheme: at.protocol === 'https:' ? 'https' : 'http' },
    };
    try {
      return await this.issueToken(realmContext, at, challenge, credentials, scope);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.kind !== 'unauthorized' || !credentials || !scope)
        throw error;
      await this.loginToken(realmContext, at, challenge, credentials);
      throw new RegistryError(
        'not-found',
        context.registry.name,
        error.status,
        `token service of registry ${context.registry.name} refused ${scope} to credentials it accepts (HTTP ${error.status})`,
        { cause: error, source: 'token-service' },
      );
    }
  }

  /** An unscoped token with the credentials (a login); throws as requestToken does. */
  private async loginToken(
    context: RequestContext,
    at: URL,
    challenge: Challenge,
    credentials: BasicCredentials,
  ): Promise<void> {
    if (this.tokens.get(at.origin, undefined, credentials) !== undefined) return;
    const unscoped: Challenge = { scheme: challenge.scheme, params: { ...challenge.params, scope: '' } };
    await this.issueToken(context, at, unscoped, credentials, undefined);
  }

  /** Asks the challenge's realm for a token and caches it under (origin, scope, credentials). */
  private async issueToken(
    context: RequestContext,
    at: URL,
    challenge: Challenge,
    credentials: BasicCredentials | undefined,
    scope: string | undefined,
  ): Promise<string> {
    const issuedAt = this.now();
    const issued = await requestToken(
      context,
      await realmRequestUrl(context, challenge, scope),
      credentials,
      this.now,
    );
    this.tokens.set(at.origin, scope, credentials, issued.token, issuedAt, issued.lifetimeSeconds);
    return issued.token;
  }
}
