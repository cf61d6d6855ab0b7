import {
  clientTokenFor,
  defaultVersionOf,
  findVersionFor,
  versionDescriptionFor,
} from '../../../lib/rollout/launch-template';

describe('launch template versions', () => {
  it('derives the same ClientToken for the same launch template, secret version and source, within EC2 limits', () => {
    const first = clientTokenFor('lt-0abc', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13', 4);

    expect(clientTokenFor('lt-0abc', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13', 4)).toBe(first);
    expect(clientTokenFor('lt-0abc', 'another-version', 4)).not.toBe(first);
    expect(clientTokenFor('lt-0def', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13', 4)).not.toBe(first);
    expect(clientTokenFor('lt-0abc', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13', 6)).not.toBe(first);
    expect(first).toMatch(/^[\x21-\x7e]{1,64}$/);
  });

  it('reuses only the newest version, and only when it names the secret version (SPEC §6)', () => {
    const state = {
      launchTemplateId: 'lt-0abc',
      launchTemplateName: 'lt',
      versions: [
        { versionNumber: 9, description: versionDescriptionFor('newest'), isDefault: false },
        { versionNumber: 8, description: 'redeployed: new AMI', isDefault: true },
        { versionNumber: 7, description: versionDescriptionFor('older'), isDefault: false },
      ],
    };

    expect(findVersionFor(state, 'newest')?.versionNumber).toBe(9);
    expect(findVersionFor(state, 'older')).toBeUndefined();
    expect(findVersionFor(state, 'absent')).toBeUndefined();
    expect(defaultVersionOf(state)).toBe(8);
  });

  it('keeps the description within the 255 characters EC2 allows for a version id', () => {
    expect(versionDescriptionFor('a'.repeat(64)).length).toBeLessThanOrEqual(255);
  });
});
