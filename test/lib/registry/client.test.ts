import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { RegistryClient, RegistryError } from '../../../lib/registry/client';
import { ImageReferenceError } from '../../../lib/registry/reference';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';
import { freePort } from '../../../scripts/servers/processes';
import {
  basicAuth,
  type PushedImage,
  pushImage,
  type RunningRegistry,
  startRegistry,
} from '../../../scripts/servers/registry';
import { makeSelfSignedCertificate, startTokenServer, type TokenServer } from '../../helpers/token-server';

const USER = { username: 'ci-bot', password: 'pw-Leak-Canary-0c77' };
const WRONG = { username: 'ci-bot', password: 'pw-Leak-Canary-wrong' };
const MISSING_DIGEST = `sha256:${'0'.repeat(64)}`;

async function caught(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('expected a RegistryError');
}

function expectNoCredential(error: RegistryError): void {
  const text = `${error.message} ${String(error.cause)}`;
  expect(text).not.toContain('Leak-Canary');
  expect(text).not.toContain(Buffer.from(`${USER.username}:${USER.password}`).toString('base64'));
}

async function listen(server: Server): Promise<number> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('RegistryClient against a registry with htpasswd (Basic)', () => {
  let registry: RunningRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', users: [USER] });
    image = await pushImage(registry.url, 'team/app', 'v1', basicAuth(USER));
  });
  afterAll(async () => {
    await registry.stop();
  });

  const name = () => normaliseRegistryName(registry.url);
  const client = () => new RegistryClient({ timeoutMs: 5000 });

  it('logs in with the right credentials', async () => {
    // act
    const login = client().login(name(), USER);

    // assert
    await expect(login).resolves.toBeUndefined();
  });

  it('throws unauthorized with the registry and status for wrong credentials', async () => {
    // act
    const error = await caught(client().login(name(), WRONG));

    // assert
    expect(error).toMatchObject({ kind: 'unauthorized', registry: registry.host, status: 401 });
    expect(error.message).toContain(registry.host);
    expectNoCredential(error);
  });

  it('throws unauthorized without credentials', async () => {
    // act
    const error = await caught(client().login(name(), undefined));

    // assert
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('finds a pushed manifest by tag', async () => {
    // act
    const exists = await client().manifestExists(name(), image.repository, image.tag, USER);

    // assert
    expect(exists).toBe(true);
  });

  it('finds a pushed manifest by digest', async () => {
    // act
    const exists = await client().manifestExists(name(), image.repository, image.digest, USER);

    // assert
    expect(exists).toBe(true);
  });

  it('answers false for a missing tag', async () => {
    // act
    const exists = await client().manifestExists(name(), image.repository, 'no-such-tag', USER);

    // assert
    expect(exists).toBe(false);
  });

  it('answers false for a missing digest and a missing repository', async () => {
    // prepare
    const shared = client();

    // act
    const digest = await shared.manifestExists(name(), image.repository, MISSING_DIGEST, USER);
    const repository = await shared.manifestExists(name(), 'team/none', 'v1', USER);

    // assert
    expect([digest, repository]).toEqual([false, false]);
  });

  it('throws unauthorized for a manifest check with wrong credentials', async () => {
    // act
    const error = await caught(client().manifestExists(name(), image.repository, image.tag, WRONG));

    // assert
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401 });
    expectNoCredential(error);
  });

  it('refuses a repository or reference outside the grammar before any request', async () => {
    // act
    const badRepository = client().manifestExists(name(), '../v2/x', 'v1', USER);
    const badReference = client().manifestExists(name(), 'team/app', 'v1/../../x', USER);

    // assert
    await expect(badRepository).rejects.toThrow(ImageReferenceError);
    await expect(badReference).rejects.toThrow(ImageReferenceError);
  });
});

describe('RegistryClient against a registry with token auth (Bearer)', () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: [USER], expiresIn: 60, denied: ['team/private'] });
    registry = await startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.rootCertBundle,
    });
    const pushToken = tokens.issue(USER.username, ['repository:team/app:pull,push']);
    image = await pushImage(registry.url, 'team/app', 'v1', `Bearer ${pushToken}`);
  });
  afterAll(async () => {
    await registry.stop();
    await tokens.stop();
  });

  const name = () => normaliseRegistryName(registry.url);

  it('logs in through the token service with the right credentials', async () => {
    // prepare
    const before = tokens.requestCount();

    // act
    await new RegistryClient({ timeoutMs: 5000 }).login(name(), USER);

    // assert
    expect(tokens.requestCount()).toBe(before + 1);
  });

  it('throws unauthorized naming the token service for wrong credentials', async () => {
    // act
    const error = await caught(new RegistryClient({ timeoutMs: 5000 }).login(name(), WRONG));

    // assert
    expect(error).toMatchObject({ kind: 'unauthorized', registry: registry.host, status: 401 });
    expect(error.message).toMatch(/token service 127\.0\.0\.1:\d+ of registry 127\.0\.0\.1:\d+ refused/);
    expectNoCredential(error);
  });

  it('throws not-found, not unauthorized, when the accepted credentials cannot reach the repository', async () => {
    // prepare
    const client = new RegistryClient({ timeoutMs: 5000 });

    // act
    const error = await caught(client.manifestExists(name(), 'team/private', 'v1', USER));

    // assert
    expect(error).toMatchObject({ kind: 'not-found', registry: registry.host, status: 401 });
    expect(error.message).toMatch(/has no repository team\/private these credentials can read \(HTTP 401\)/);
    expectNoCredential(error);
  });

  it('finds the manifest by tag and digest, and not a missing tag', async () => {
    // prepare
    const client = new RegistryClient({ timeoutMs: 5000 });

    // act
    const byTag = await client.manifestExists(name(), image.repository, image.tag, USER);
    const byDigest = await client.manifestExists(name(), image.repository, image.digest, USER);
    const missing = await client.manifestExists(name(), image.repository, 'no-such-tag', USER);

    // assert
    expect([byTag, byDigest, missing]).toEqual([true, true, false]);
  });

  it('reuses a token for the same registry, scope and credentials until it expires', async () => {
    // prepare
    const clock = { now: 1_000_000 };
    const client = new RegistryClient({ timeoutMs: 5000, now: () => clock.now });
    const before = tokens.requestCount();

    // act
    await client.manifestExists(name(), image.repository, image.tag, USER);
    await client.manifestExists(name(), image.repository, image.digest, USER);
    const afterReuse = tokens.requestCount();
    clock.now += 60_000;
    await client.manifestExists(name(), image.repository, image.tag, USER);

    // assert
    expect(afterReuse - before).toBe(1);
    expect(tokens.requestCount() - before).toBe(2);
  });

  it('is a registry that refuses a token signed by a key it does not trust', async () => {
    // prepare
    const untrusted = await startTokenServer({
      users: [USER],
      service: tokens.service,
      issuer: tokens.issuer,
    });
    const forged = untrusted.issue(USER.username, [`repository:${image.repository}:pull`]);
    await untrusted.stop();

    // act
    const response = await fetch(`${registry.url}/v2/${image.repository}/manifests/${image.tag}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${forged}` },
    });

    // assert
    expect(response.status).toBe(401);
  });

  it('asks for a separate token for another repository scope or other credentials', async () => {
    // prepare
    const client = new RegistryClient({ timeoutMs: 5000 });
    const before = tokens.requestCount();

    // act
    await client.manifestExists(name(), image.repository, image.tag, USER);
    await client.manifestExists(name(), 'team/other', 'v1', USER);
    await caught(client.manifestExists(name(), image.repository, image.tag, WRONG));

    // assert: the refused credentials also try a login without a scope (a scoped refusal alone
    // could be about the repository, as on GHCR), so they cost two token requests
    expect(tokens.requestCount() - before).toBe(4);
  });
});

describe('RegistryClient failures', () => {
  const client = () => new RegistryClient({ timeoutMs: 500 });

  async function withServer(listener: RequestListener, test: (url: string) => Promise<void>): Promise<void> {
    const server = createHttpServer(listener);
    const port = await listen(server);
    try {
      await test(`http://127.0.0.1:${port}`);
    } finally {
      await close(server);
    }
  }

  it('throws unreachable when nothing listens', async () => {
    // prepare
    const url = `http://127.0.0.1:${await freePort()}`;

    // act
    const error = await caught(client().login(normaliseRegistryName(url), USER));

    // assert
    expect(error).toMatchObject({ kind: 'unreachable', status: undefined });
    expect(error.message).toMatch(/registry 127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/);
  });

  it('throws timeout when the registry does not answer within the timeout', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        // act
        const error = await caught(client().login(normaliseRegistryName(url), USER));

        // assert
        expect(error).toMatchObject({ kind: 'timeout' });
        expect(error.message).toMatch(/did not answer within 500 ms/);
      },
    );
  });

  it('throws unexpected-status for a 500', async () => {
    await withServer(
      (_request, response) => response.writeHead(500).end(),
      async (url) => {
        // act
        const error = await caught(client().manifestExists(normaliseRegistryName(url), 'a/b', 'v1', USER));

        // assert
        expect(error).toMatchObject({ kind: 'unexpected-status', status: 500 });
        expect(error.message).toMatch(/answered HTTP 500/);
      },
    );
  });

  it('follows a redirect without the credentials, so no other host gets to challenge for them', async () => {
    const otherHost: (string | undefined)[] = [];
    await withServer(
      (request, response) => {
        otherHost.push(request.headers.authorization);
        response.writeHead(401, { 'www-authenticate': 'Basic realm="other"' }).end();
      },
      async (otherUrl) => {
        await withServer(
          (request, response) => {
            if (request.headers.authorization === undefined) {
              response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
            } else response.writeHead(307, { location: `${otherUrl}/v2/` }).end();
          },
          async (url) => {
            // act
            const error = await caught(
              client().manifestExists(normaliseRegistryName(url), 'a/b', 'v1', USER),
            );

            // assert
            expect(error).toMatchObject({ kind: 'not-found', status: 401 });
            expect(otherHost).toEqual([undefined]);
          },
        );
      },
    );
  });

  it('throws not-found when the host serves no /v2/', async () => {
    await withServer(
      (_request, response) => response.writeHead(404).end(),
      async (url) => {
        // act
        const error = await caught(client().login(normaliseRegistryName(url), USER));

        // assert
        expect(error).toMatchObject({ kind: 'not-found', status: 404 });
      },
    );
  });

  it('logs in anonymously when /v2/ answers 200', async () => {
    const seen: (string | undefined)[] = [];
    await withServer(
      (request, response) => {
        seen.push(request.headers.authorization);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      async (url) => {
        // act
        await client().login(normaliseRegistryName(url), undefined);

        // assert
        expect(seen).toEqual([undefined]);
      },
    );
  });

  it.each([
    ['a file: URL', 'file:///etc/passwd'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['no realm at all', ''],
  ])('does not follow a token realm that is %s', async (_case, realm) => {
    let requests = 0;
    await withServer(
      (_request, response) => {
        requests += 1;
        response.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="x"` }).end();
      },
      async (url) => {
        // act
        const error = await caught(client().login(normaliseRegistryName(url), USER));

        // assert
        expect(error).toMatchObject({ kind: 'unexpected-status', status: 401 });
        expect(error.message).toMatch(/not an http\(s\) URL/);
        expect(requests).toBe(1);
      },
    );
  });

  it('sends Basic only after a Basic challenge, then up front', async () => {
    const seen: (string | undefined)[] = [];
    await withServer(
      (request, response) => {
        seen.push(request.headers.authorization);
        if (request.headers.authorization === basicAuth(USER)) response.writeHead(200).end();
        else response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      },
      async (url) => {
        // prepare
        const shared = client();

        // act
        await shared.login(normaliseRegistryName(url), USER);
        await shared.login(normaliseRegistryName(url), USER);

        // assert
        expect(seen).toEqual([undefined, basicAuth(USER), basicAuth(USER)]);
      },
    );
  });

  describe('over TLS', () => {
    const certificate = makeSelfSignedCertificate('brg-untrusted-registry');
    afterAll(() => certificate.remove());

    it('throws tls for a certificate the client does not trust', async () => {
      // prepare
      const server = createHttpsServer(
        { key: certificate.keyPem, cert: certificate.certPem },
        (_request, response) => response.writeHead(200).end(),
      );
      const port = await listen(server);

      // act
      const error = await caught(
        client().login(normaliseRegistryName(`https://127.0.0.1:${port}`), USER),
      ).finally(() => close(server));

      // assert
      expect(error).toMatchObject({ kind: 'tls', registry: `127.0.0.1:${port}` });
      expect(error.message).toMatch(/TLS with registry 127\.0\.0\.1:\d+ failed \(.*SELF_SIGNED.*\)/);
    });

    it('throws tls when an https registry speaks plain HTTP', async () => {
      await withServer(
        (_request, response) => response.writeHead(200).end(),
        async (url) => {
          // act
          const error = await caught(
            client().login(normaliseRegistryName(url.replace('http:', 'https:')), USER),
          );

          // assert
          expect(error).toMatchObject({ kind: 'tls' });
        },
      );
    });
  });
});
