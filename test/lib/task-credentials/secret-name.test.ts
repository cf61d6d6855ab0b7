import fc from 'fast-check';
import {
  encodeRegistryForSecretName,
  registryCredentialSecretName,
} from '../../../lib/task-credentials/secret-name';

describe('encodeRegistryForSecretName', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1_3a5000'],
    ['[::1]:5000', '_5b_3a_3a1_5d_3a5000'],
    ['my_registry.example.com', 'my_5fregistry.example.com'],
    ['Registry.Example.COM', 'registry.example.com'],
    ['build-abc123', 'build-abc123_x'],
    ['registry.example-abc123', 'registry.example-abc123_x'],
    ['registry.example-abc12', 'registry.example-abc12'],
  ])('encodes %s as %s', (registry, expected) => {
    expect(encodeRegistryForSecretName(registry)).toBe(expected);
  });

  it('uses only Secrets Manager name characters and is injective over registry names', () => {
    const registryChar = fc.constantFrom(...'abcxyz0129.-:_[]'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: registryChar, minLength: 1, maxLength: 12 }),
        fc.string({ unit: registryChar, minLength: 1, maxLength: 12 }),
        (a, b) => {
          const encodedA = encodeRegistryForSecretName(a);
          expect(encodedA).toMatch(/^[A-Za-z0-9/_+=.@-]+$/);
          expect(encodedA).not.toMatch(/-[A-Za-z0-9]{6}$/);
          if (a !== b) expect(encodeRegistryForSecretName(b)).not.toBe(encodedA);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('registryCredentialSecretName', () => {
  it('prefixes the encoded name', () => {
    expect(registryCredentialSecretName('batch-registry-gateway/dev/registry/', '127.0.0.1:5000')).toBe(
      'batch-registry-gateway/dev/registry/127.0.0.1_3a5000',
    );
  });

  it('refuses a name longer than 512 characters', () => {
    expect(() => registryCredentialSecretName('p/', `${'a'.repeat(250)}:${'_'.repeat(90)}`)).toThrow(/512/);
  });
});
