import { HttpError } from '../../../lib/errors';
import { ImageAccess, type ManifestChecker, type SecretSource } from '../../../lib/jobs/image-access';
import { RegistryError } from '../../../lib/registry/client';
import { parseImageReference } from '../../../lib/registry/reference';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';

const local = normaliseRegistryName('http://127.0.0.1:5000');
const secrets: SecretSource = {
  get: async () => ({
    versionId: 'v1',
    credentials: [{ registry: local, username: 'bot', password: 'pw' }],
  }),
};

function checker(exists = true): ManifestChecker & { calls: number } {
  const fake = {
    calls: 0,
    async manifestExists() {
      fake.calls += 1;
      return exists;
    },
  };
  return fake;
}

describe('ImageAccess', () => {
  const image = parseImageReference('127.0.0.1:5000/team/app:v1');

  it('makes no registry call when VERIFY_IMAGES is off', async () => {
    const registry = checker(false);
    const access = new ImageAccess(secrets, registry, {
      allowedRegistries: [],
      verifyImages: false,
      imageCacheSeconds: 30,
    });

    const found = await access.check(image);

    expect(found.registry).toBe(local);
    expect(registry.calls).toBe(0);
  });

  it('reuses a positive check until imageCacheSeconds have passed', async () => {
    let now = 1_000_000;
    const registry = checker();
    const access = new ImageAccess(
      secrets,
      registry,
      { allowedRegistries: [], verifyImages: true, imageCacheSeconds: 30 },
      () => now,
    );

    await access.check(image);
    now += 29_999;
    await access.check(image);
    const withinTtl = registry.calls;
    now += 1;
    await access.check(image);

    expect([withinTtl, registry.calls]).toEqual([1, 2]);
  });

  it('checks every time when imageCacheSeconds is 0', async () => {
    const registry = checker();
    const access = new ImageAccess(secrets, registry, {
      allowedRegistries: [],
      verifyImages: true,
      imageCacheSeconds: 0,
    });

    await access.check(image);
    await access.check(image);

    expect(registry.calls).toBe(2);
  });

  it('prefers the secret credentials when a registry is also in ALLOWED_REGISTRIES', async () => {
    const access = new ImageAccess(secrets, checker(), {
      allowedRegistries: [normaliseRegistryName('127.0.0.1:5000')],
      verifyImages: true,
      imageCacheSeconds: 0,
    });

    const found = await access.check(image);

    expect(found.credentials).toEqual({ username: 'bot', password: 'pw' });
    expect(found.registry.scheme).toBe('http');
  });

  it('forgets the cached checks and the cached secret on clear', async () => {
    let invalidated = 0;
    const registry = checker();
    const source: SecretSource = {
      get: secrets.get,
      invalidate: () => {
        invalidated += 1;
      },
    };
    const access = new ImageAccess(source, registry, {
      allowedRegistries: [],
      verifyImages: true,
      imageCacheSeconds: 30,
    });

    await access.check(image);
    access.clear();
    await access.check(image);

    expect([registry.calls, invalidated]).toEqual([2, 1]);
  });
});

describe('ImageAccess registry failures', () => {
  const image = parseImageReference('127.0.0.1:5000/team/app:v1');

  function failing(error: RegistryError): ManifestChecker {
    return {
      manifestExists: async () => {
        throw error;
      },
    };
  }

  function counting(): SecretSource & { invalidated: number } {
    const source = {
      invalidated: 0,
      get: secrets.get,
      invalidate: () => {
        source.invalidated += 1;
      },
    };
    return source;
  }

  async function problemOf(access: ImageAccess): Promise<HttpError> {
    try {
      await access.check(image);
    } catch (error) {
      if (error instanceof HttpError) return error;
      throw error;
    }
    throw new Error('expected an HttpError');
  }

  const settings = { allowedRegistries: [], verifyImages: true, imageCacheSeconds: 0 };

  it("answers 429 with the registry's Retry-After when the registry throttles", async () => {
    // prepare
    const throttled = new RegistryError('throttled', local.name, 429, 'throttled', {
      retryAfterSeconds: 120,
    });
    const access = new ImageAccess(secrets, failing(throttled), settings);

    // act
    const error = await problemOf(access);

    // assert
    expect(error.statusCode).toBe(429);
    expect(error.headers).toEqual({ 'retry-after': '120' });
    expect(error.message).toBe(
      `The registry ${local.name} is throttling the gateway's requests; retry after 120 seconds.`,
    );
  });

  it('answers 429 with a default Retry-After when the registry named none', async () => {
    // prepare
    const access = new ImageAccess(
      secrets,
      failing(new RegistryError('throttled', local.name, 429, 't')),
      settings,
    );

    // act
    const error = await problemOf(access);

    // assert
    expect([error.statusCode, error.headers?.['retry-after']]).toEqual([429, '60']);
  });

  it('answers 504 with Retry-After when the registry did not answer before the deadline', async () => {
    // prepare
    const access = new ImageAccess(
      secrets,
      failing(new RegistryError('timeout', local.name, undefined, 't')),
      settings,
    );

    // act
    const error = await problemOf(access);

    // assert
    expect(error.statusCode).toBe(504);
    expect(error.headers).toEqual({ 'retry-after': '10' });
    expect(error.message).toMatch(/did not answer in time/);
  });

  it('aborts a hanging check at registryDeadlineMs through the signal it passes', async () => {
    // prepare: a registry call that only ends when its signal aborts, as RegistryClient does.
    const signals: AbortSignal[] = [];
    const hanging: ManifestChecker = {
      manifestExists: (_registry, _repository, _reference, _credentials, call) =>
        new Promise<boolean>((_resolve, reject) => {
          const signal = call?.signal;
          if (signal === undefined) return;
          signals.push(signal);
          signal.addEventListener('abort', () =>
            reject(new RegistryError('timeout', local.name, undefined, 'did not answer before the deadline')),
          );
        }),
    };
    const access = new ImageAccess(secrets, hanging, { ...settings, registryDeadlineMs: 50 });

    // act
    const error = await problemOf(access);

    // assert
    expect(error.statusCode).toBe(504);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it("never shows a token service's HTTP status", async () => {
    // prepare
    const error = new RegistryError('unexpected-status', local.name, 418, 'token service answered HTTP 418', {
      source: 'token-service',
    });
    const access = new ImageAccess(secrets, failing(error), settings);

    // act
    const problem = await problemOf(access);

    // assert
    expect(problem.statusCode).toBe(502);
    expect(problem.message).toBe(`The token service of the registry ${local.name} failed.`);
    expect(problem.message).not.toContain('418');
  });

  it('answers 422 and keeps the cached secret when the token service refuses the repository (GHCR)', async () => {
    // prepare
    const source = counting();
    const refused = new RegistryError('not-found', local.name, 403, 'refused the scope', {
      source: 'token-service',
    });
    const access = new ImageAccess(source, failing(refused), settings);

    // act
    const error = await problemOf(access);

    // assert
    expect(error.statusCode).toBe(422);
    expect(source.invalidated).toBe(0);
  });

  it('drops the cached secret when the registry refused the stored credentials', async () => {
    // prepare
    const source = counting();
    const access = new ImageAccess(
      source,
      failing(new RegistryError('unauthorized', local.name, 401, 'r')),
      settings,
    );

    // act
    const error = await problemOf(access);

    // assert
    expect([error.statusCode, source.invalidated]).toEqual([502, 1]);
  });
});

describe('ImageAccess and Amazon ECR', () => {
  const privateEcr = normaliseRegistryName('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
  const publicEcr = normaliseRegistryName('public.ecr.aws');
  const settings = { allowedRegistries: [privateEcr, publicEcr], verifyImages: true, imageCacheSeconds: 0 };

  it('skips the manifest check for a private ECR registry the gateway holds no credentials for', async () => {
    // prepare
    const registry = checker(false);
    const access = new ImageAccess(secrets, registry, settings);

    // act
    const found = await access.check(parseImageReference(`${privateEcr.name}/team/app:1`));

    // assert
    expect(found).toEqual({ registry: privateEcr, credentials: undefined });
    expect(registry.calls).toBe(0);
  });

  it('checks an ECR Public image like any public registry', async () => {
    // prepare
    const registry = checker(false);
    const access = new ImageAccess(secrets, registry, settings);

    // act
    const check = access.check(parseImageReference('public.ecr.aws/docker/library/busybox:1.36'));

    // assert
    await expect(check).rejects.toMatchObject({ statusCode: 422 });
    expect(registry.calls).toBe(1);
  });

  it('checks a private ECR registry whose credentials are in the secret', async () => {
    // prepare
    const registry = checker(true);
    const withEcr: SecretSource = {
      get: async () => ({
        versionId: 'v1',
        credentials: [{ registry: privateEcr, username: 'AWS', password: 'pw' }],
      }),
    };
    const access = new ImageAccess(withEcr, registry, settings);

    // act
    await access.check(parseImageReference(`${privateEcr.name}/team/app:1`));

    // assert
    expect(registry.calls).toBe(1);
  });
});

describe('ImageAccess and refused redirects', () => {
  it('says the registry answered in a way the gateway does not follow, with no made-up status', async () => {
    // prepare
    const refused = new RegistryError(
      'unexpected-status',
      local.name,
      undefined,
      'redirected to 169.254.169.254',
    );
    const access = new ImageAccess(
      secrets,
      {
        manifestExists: async () => {
          throw refused;
        },
      },
      { allowedRegistries: [], verifyImages: true, imageCacheSeconds: 0 },
    );

    // act
    const check = access.check(parseImageReference('127.0.0.1:5000/team/app:v1'));

    // assert
    await expect(check).rejects.toMatchObject({
      statusCode: 502,
      message: `The registry ${local.name} answered in a way the gateway does not follow (a redirect it refuses).`,
    });
  });
});
