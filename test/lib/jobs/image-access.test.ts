import { ImageAccess, type ManifestChecker, type SecretSource } from '../../../lib/jobs/image-access';
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
