import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { RegistryClient, RegistryError } from '../../../lib/registry/client';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';
import { MAX_TOKEN_RESPONSE_BYTES } from '../../../lib/registry/token-service';
import { MAX_REDIRECTS } from '../../../lib/registry/transport';
import { basicAuth } from '../../../scripts/servers/registry';

// The project's own client against small local servers that behave as the cited registries
// document. Each describe names its source.

const USER = { username: 'ci-bot', password: 'pw-Leak-Canary-5a1f' };
const BASIC = basicAuth(USER);

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

interface Double {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const open: Double[] = [];

/** A server on a free loopback port that records every request. */
async function serve(
  listener: (request: IncomingMessage, response: ServerResponse, url: URL) => void,
): Promise<Double> {
  const seen: Seen[] = [];
  const handle: RequestListener = (request, response) => {
    const url = new URL(request.url ?? '/', 'http://double.invalid');
    seen.push({
      method: request.method ?? '',
      path: url.pathname + url.search,
      authorization: request.headers.authorization,
    });
    listener(request, response, url);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const double = {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.push(double);
  return double;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((double) => double.close()));
});

async function caught(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('expected a RegistryError');
}

const client = (timeoutMs = 2000) => new RegistryClient({ timeoutMs });
const json = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/**
 * An upstream registry that, like Artifact Registry behind registry.k8s.io, serves public images
 * to anonymous clients through a token from its own realm.
 */
async function anonymousUpstream(): Promise<Double> {
  const upstream: Double = await serve((request, response, url) => {
    if (url.pathname === '/token') {
      json(response, 200, { token: 'anon-token', expires_in: 300 });
    } else if (request.headers.authorization !== 'Bearer anon-token') {
      json(
        response,
        401,
        { errors: [{ code: 'UNAUTHORIZED' }] },
        {
          'www-authenticate': `Bearer realm="${upstream.url}/token",service="upstream"`,
        },
      );
    } else if (url.pathname === '/v2/' || url.pathname === '/v2/pause/manifests/3.10') {
      response.writeHead(200).end();
    } else {
      json(response, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
    }
  });
  return upstream;
}

describe('redirects (registry.k8s.io: kubernetes/registry.k8s.io cmd/archeio/docs/request-handling.md)', () => {
  // archeio redirects every /v2/ API call that is not a blob (manifests included) to an upstream
  // registry with a 307; docker, containerd and crane follow it without the Authorization header.

  it('follows the 307 to the upstream registry and asks it only for an anonymous token', async () => {
    // prepare
    const upstream = await anonymousUpstream();
    const front = await serve((request, response) => {
      response.writeHead(307, { location: `${upstream.url}${request.url}` }).end();
    });

    // act
    const exists = await client().manifestExists(normaliseRegistryName(front.url), 'pause', '3.10', USER);
    const missing = await client().manifestExists(normaliseRegistryName(front.url), 'pause', 'no-such', USER);

    // assert
    expect([exists, missing]).toEqual([true, false]);
    expect(upstream.seen.map((request) => request.authorization)).not.toContain(BASIC);
    expect(upstream.seen.filter((request) => request.path.startsWith('/token'))[0]).toEqual({
      method: 'GET',
      path: '/token?service=upstream&scope=repository%3Apause%3Apull',
      authorization: undefined,
    });
  });

  it('logs in through a redirected /v2/', async () => {
    // prepare
    const upstream = await anonymousUpstream();
    const front = await serve((request, response) => {
      response.writeHead(307, { location: `${upstream.url}${request.url}` }).end();
    });

    // act
    const login = client().login(normaliseRegistryName(front.url), undefined);

    // assert
    await expect(login).resolves.toBeUndefined();
  });

  it('sends the token to the registry that issued it and not to the host it redirects to', async () => {
    // prepare: a registry with token auth whose manifests are served from another host.
    const cdn = await serve((_request, response) => response.writeHead(200).end());
    const registry: Double = await serve((request, response, url) => {
      if (url.pathname === '/token') {
        if (request.headers.authorization === BASIC) json(response, 200, { token: 'scoped-token' });
        else json(response, 401, { errors: [{ code: 'UNAUTHORIZED' }] });
      } else if (request.headers.authorization !== 'Bearer scoped-token') {
        json(response, 401, {}, { 'www-authenticate': `Bearer realm="${registry.url}/token",service="reg"` });
      } else {
        response.writeHead(307, { location: `${cdn.url}/blobs/manifest-of-app` }).end();
      }
    });

    // act
    const exists = await client().manifestExists(normaliseRegistryName(registry.url), 'team/app', 'v1', USER);

    // assert
    expect(exists).toBe(true);
    expect(cdn.seen).toEqual([{ method: 'HEAD', path: '/blobs/manifest-of-app', authorization: undefined }]);
  });

  it('never answers a Basic challenge of the host it was redirected to', async () => {
    // prepare
    const foreign = await serve((_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="give me your password"' }).end();
    });
    const front = await serve((request, response) => {
      response.writeHead(302, { location: `${foreign.url}${request.url}` }).end();
    });

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(front.url), 'team/app', 'v1', USER),
    );

    // assert
    expect(error).toMatchObject({ kind: 'not-found', status: 401 });
    expect(foreign.seen.map((request) => request.authorization)).toEqual([undefined]);
  });

  it(`stops after ${MAX_REDIRECTS} redirects`, async () => {
    // prepare
    const loop: Double = await serve((request, response) => {
      response.writeHead(307, { location: `${loop.url}${request.url}` }).end();
    });

    // act
    const error = await caught(client().manifestExists(normaliseRegistryName(loop.url), 'a/b', 'v1', USER));

    // assert
    expect(error).toMatchObject({ kind: 'unexpected-status' });
    expect(error.message).toMatch(/redirected more than 5 times; not followed/);
    expect(loop.seen).toHaveLength(MAX_REDIRECTS + 1);
  });

  it.each([
    ['an instance metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a private address the registry is not on', 'http://10.1.2.3/v2/a/b/manifests/v1'],
  ])('does not follow a redirect to %s', async (_case, location) => {
    // prepare
    const front = await serve((_request, response) => response.writeHead(307, { location }).end());

    // act
    const error = await caught(client().manifestExists(normaliseRegistryName(front.url), 'a/b', 'v1', USER));

    // assert
    expect(error).toMatchObject({ kind: 'unexpected-status' });
    expect(error.message).toMatch(/redirected to .*not followed/);
  });
});

describe('a scoped token refused after a good login (GHCR: akuity/kargo issue 4293, skopeo reports)', () => {
  // GHCR's token endpoint answers 403 {"errors":[{"code":"DENIED"}]} when the credentials log in
  // but cannot read the repository; without a scope the same credentials get a token.

  async function ghcr(): Promise<Double> {
    const registry: Double = await serve((request, response, url) => {
      if (url.pathname === '/token') {
        const scope = url.searchParams.get('scope');
        if (request.headers.authorization !== BASIC) {
          json(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
        } else if (scope === null || scope === 'repository:team/app:pull') {
          json(response, 200, { token: `tok-${scope ?? 'login'}` });
        } else {
          json(response, 403, {
            errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }],
          });
        }
      } else if (request.headers.authorization === 'Bearer tok-repository:team/app:pull') {
        response.writeHead(200).end();
      } else {
        json(
          response,
          401,
          {},
          {
            'www-authenticate': `Bearer realm="${registry.url}/token",service="ghcr.io",scope="repository:x:pull"`,
          },
        );
      }
    });
    return registry;
  }

  it('is not-found (the repository), not unauthorized (the credentials)', async () => {
    // prepare
    const registry = await ghcr();

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(registry.url), 'other/private', 'v1', USER),
    );

    // assert
    expect(error).toMatchObject({ kind: 'not-found', status: 403, source: 'token-service' });
    expect(error.message).not.toContain('Leak-Canary');
  });

  it('is unauthorized when the credentials do not log in either', async () => {
    // prepare
    const registry = await ghcr();

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(registry.url), 'other/private', 'v1', {
        username: USER.username,
        password: 'pw-Leak-Canary-wrong',
      }),
    );

    // assert
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('logs in once for several refused repositories and still reads a permitted one', async () => {
    // prepare
    const registry = await ghcr();
    const shared = client();
    const name = normaliseRegistryName(registry.url);

    // act
    await caught(shared.manifestExists(name, 'other/one', 'v1', USER));
    await caught(shared.manifestExists(name, 'other/two', 'v1', USER));
    const permitted = await shared.manifestExists(name, 'team/app', 'v1', USER);

    // assert
    expect(permitted).toBe(true);
    expect(registry.seen.filter((request) => request.path === '/token?service=ghcr.io')).toHaveLength(1);
  });
});

describe('throttling (Docker Hub: docs.docker.com/docker-hub/usage/ "429 Too Many Requests", TOOMANYREQUESTS)', () => {
  it('is throttled with the Retry-After of a registry 429', async () => {
    // prepare
    const hub = await serve((_request, response) => {
      json(
        response,
        429,
        { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] },
        {
          'retry-after': '120',
        },
      );
    });

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(hub.url), 'library/alpine', '3', USER),
    );

    // assert
    expect(error).toMatchObject({
      kind: 'throttled',
      status: 429,
      retryAfterSeconds: 120,
      source: 'registry',
    });
  });

  it('is throttled when the token service answers 429, with its HTTP-date Retry-After', async () => {
    // prepare
    const now = Date.parse('2026-12-01T12:00:00Z');
    const registry: Double = await serve((_request, response, url) => {
      if (url.pathname === '/token') {
        response.writeHead(429, { 'retry-after': 'Tue, 01 Dec 2026 12:00:45 GMT' }).end();
      } else {
        json(response, 401, {}, { 'www-authenticate': `Bearer realm="${registry.url}/token",service="hub"` });
      }
    });

    // act
    const error = await caught(
      new RegistryClient({ timeoutMs: 2000, now: () => now }).manifestExists(
        normaliseRegistryName(registry.url),
        'library/alpine',
        '3',
        USER,
      ),
    );

    // assert
    expect(error).toMatchObject({ kind: 'throttled', retryAfterSeconds: 45, source: 'token-service' });
  });

  it('is throttled without a Retry-After when the registry names none', async () => {
    // prepare
    const hub = await serve((_request, response) => response.writeHead(429).end());

    // act
    const error = await caught(client().login(normaliseRegistryName(hub.url), USER));

    // assert
    expect(error).toMatchObject({ kind: 'throttled', retryAfterSeconds: undefined });
  });
});

describe('token responses and realms (issue 17 item 4)', () => {
  function challenging(realm: () => string): Promise<Double> {
    return serve((_request, response) => {
      json(response, 401, {}, { 'www-authenticate': `Bearer realm="${realm()}",service="svc"` });
    });
  }

  it.each([
    ['with a Content-Length', true],
    ['streamed without a Content-Length', false],
  ])('refuses a token response over the cap %s', async (_case, declared) => {
    // prepare
    const huge = `{"token":"${'x'.repeat(MAX_TOKEN_RESPONSE_BYTES * 4)}"}`;
    const tokens = await serve((_request, response) => {
      if (declared) response.writeHead(200, { 'content-length': String(huge.length) }).end(huge);
      else {
        response.writeHead(200);
        for (let at = 0; at < huge.length; at += 16384) response.write(huge.slice(at, at + 16384));
        response.end();
      }
    });
    const registry = await challenging(() => `${tokens.url}/token`);

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(registry.url), 'a/b', 'v1', USER),
    );

    // assert
    expect(error).toMatchObject({ kind: 'unexpected-status', source: 'token-service' });
    expect(error.message).toMatch(/answered with a body over 65536 bytes/);
  });

  it.each([
    ['an instance metadata address', 'http://169.254.169.254/latest/api/token'],
    ['the ECS credentials endpoint', 'http://169.254.170.2/v2/credentials'],
    ['a private address the registry is not on', 'http://192.168.1.10/token'],
    ['a link-local address the registry is not on', 'http://[fe80::1]/token'],
  ])('refuses a realm on %s before any request to it', async (_case, realm) => {
    // prepare
    const registry = await challenging(() => realm);

    // act
    const error = await caught(
      client().manifestExists(normaliseRegistryName(registry.url), 'a/b', 'v1', USER),
    );

    // assert
    expect(error).toMatchObject({ kind: 'unexpected-status', source: 'token-service' });
    expect(error.message).toMatch(/named a token realm on .*; it is not followed/);
  });

  it('is unreachable, naming the token service, when the realm host does not resolve', async () => {
    // prepare
    const registry = await challenging(() => 'https://auth.nowhere.invalid/token');
    const resolve = async (host: string): Promise<string[]> => {
      if (host === '127.0.0.1') return ['127.0.0.1'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };

    // act
    const error = await caught(
      new RegistryClient({ timeoutMs: 2000, resolve }).manifestExists(
        normaliseRegistryName(registry.url),
        'a/b',
        'v1',
        USER,
      ),
    );

    // assert
    expect(error).toMatchObject({ kind: 'unreachable', source: 'token-service' });
    expect(error.message).toBe(
      `token service auth.nowhere.invalid of registry ${new URL(registry.url).host} is unreachable (ENOTFOUND)`,
    );
  });

  it('accepts a loopback realm for a registry on loopback (local development)', async () => {
    // prepare
    const tokens = await serve((_request, response) => json(response, 200, { token: 't' }));
    const registry: Double = await serve((request, response) => {
      if (request.headers.authorization === 'Bearer t') response.writeHead(200).end();
      else
        json(
          response,
          401,
          {},
          { 'www-authenticate': `Bearer realm="http://localhost:${new URL(tokens.url).port}/token"` },
        );
    });

    // act
    const exists = await client().manifestExists(normaliseRegistryName(registry.url), 'a/b', 'v1', USER);

    // assert
    expect(exists).toBe(true);
  });
});

describe('one deadline for the whole check (issue 17 item 8)', () => {
  it('stops at the deadline even though each request is within the timeout', async () => {
    // prepare: every answer takes 150 ms; the check needs three of them.
    const registry: Double = await serve((request, response, url) => {
      setTimeout(() => {
        if (url.pathname === '/token') json(response, 200, { token: 't' });
        else if (request.headers.authorization === 'Bearer t') response.writeHead(200).end();
        else json(response, 401, {}, { 'www-authenticate': `Bearer realm="${registry.url}/token"` });
      }, 150);
    });

    // act
    const error = await caught(
      client(1000).manifestExists(normaliseRegistryName(registry.url), 'a/b', 'v1', USER, {
        signal: AbortSignal.timeout(250),
      }),
    );

    // assert
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toMatch(/did not answer before the deadline/);
  });

  it('completes the same check without a deadline', async () => {
    // prepare
    const registry: Double = await serve((request, response, url) => {
      setTimeout(() => {
        if (url.pathname === '/token') json(response, 200, { token: 't' });
        else if (request.headers.authorization === 'Bearer t') response.writeHead(200).end();
        else json(response, 401, {}, { 'www-authenticate': `Bearer realm="${registry.url}/token"` });
      }, 150);
    });

    // act
    const exists = await client(1000).manifestExists(normaliseRegistryName(registry.url), 'a/b', 'v1', USER);

    // assert
    expect(exists).toBe(true);
  });
});
