import { RegistryError } from '../../../lib/registry/client';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';
import { CredentialCheckError, verifyRegistryCredentials } from '../../../lib/rollout/credentials';

const credentials = [
  { registry: normaliseRegistryName('docker.io'), username: 'bot', password: 'hub-SECRET' },
  { registry: normaliseRegistryName('registry.example.com:5000'), username: 'bot', password: 'own-SECRET' },
  { registry: normaliseRegistryName('ghcr.io'), username: 'bot', password: 'gh-SECRET' },
];

describe('verifyRegistryCredentials', () => {
  it('logs in to every registry with its own credentials', async () => {
    const login = jest.fn().mockResolvedValue(undefined);

    await verifyRegistryCredentials({ login }, credentials);

    expect(login).toHaveBeenCalledTimes(3);
    expect(login).toHaveBeenCalledWith(credentials[1]?.registry, { username: 'bot', password: 'own-SECRET' });
  });

  it('names every registry that failed with its HTTP status, and no credential', async () => {
    const login = jest.fn(async (registry: { name: string }) => {
      if (registry.name === 'docker.io') throw new RegistryError('unauthorized', 'docker.io', 401, 'denied');
      if (registry.name === 'ghcr.io')
        throw new RegistryError('unreachable', 'ghcr.io', undefined, 'timed out');
    });

    const failure = verifyRegistryCredentials({ login }, credentials);

    await expect(failure).rejects.toThrow(CredentialCheckError);
    await expect(failure).rejects.toThrow(
      'Registry login failed: docker.io (HTTP 401: unauthorized); ghcr.io (no HTTP status: unreachable)',
    );
    await failure.catch((error: unknown) => expect(String(error)).not.toMatch(/SECRET/));
  });
});
