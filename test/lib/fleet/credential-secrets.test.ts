import { countCredentialSecrets } from '../../../lib/fleet/credential-secrets';
import type { FoundCredentialSecret } from '../../../lib/task-credentials/plan';

const PREFIX = 'batch-registry-gateway/prod/registry/';
const CURRENT = 'c0ffee00-1111-2222-3333-444455556666';
const OLD = 'deadbeef-1111-2222-3333-444455556666';

function secret(
  name: string,
  tags: Record<string, string>,
  scheduledForDeletion = false,
): FoundCredentialSecret {
  return {
    name: `${PREFIX}${name}`,
    arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${PREFIX}${name}-AbC123`,
    tags,
    scheduledForDeletion,
  };
}
const tagged = (registry: string, version: string) => ({
  'batch-registry-gateway:registry': registry,
  'batch-registry-gateway:source-version': version,
});

describe('countCredentialSecrets', () => {
  it('counts the credential secrets on the current version and names the others', () => {
    const found = [
      secret('docker.io', tagged('docker.io', CURRENT)),
      secret('registry.example.com_3a5000', tagged('registry.example.com:5000', OLD)),
      secret('ghcr.io', { 'batch-registry-gateway:registry': 'ghcr.io' }),
    ];

    const counts = countCredentialSecrets(PREFIX, found, CURRENT);

    expect(counts).toEqual({
      current: 1,
      stale: [`${PREFIX}ghcr.io`, `${PREFIX}registry.example.com_3a5000`],
    });
  });

  it.each([
    [
      'one scheduled for deletion (its registry left the secret)',
      secret('quay.io', tagged('quay.io', OLD), true),
    ],
    ['one without the registry tag (not made by the service)', secret('quay.io', {})],
    ['one whose registry tag does not name it', secret('quay.io', tagged('ghcr.io', OLD))],
  ])('leaves out %s', (_case, other) => {
    const counts = countCredentialSecrets(
      PREFIX,
      [secret('docker.io', tagged('docker.io', CURRENT)), other],
      CURRENT,
    );

    expect(counts).toEqual({ current: 1, stale: [] });
  });
});
