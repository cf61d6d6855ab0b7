import {
  clientTokenFor,
  defaultVersionOf,
  findVersionFor,
  versionDescriptionFor,
} from '../../../lib/rollout/launch-template';

describe('launch template versions', () => {
  it('derives the same ClientToken for the same launch template and secret version, within EC2 limits', () => {
    const first = clientTokenFor('lt-0abc', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13');

    expect(clientTokenFor('lt-0abc', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13')).toBe(first);
    expect(clientTokenFor('lt-0abc', 'another-version')).not.toBe(first);
    expect(clientTokenFor('lt-0def', '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13')).not.toBe(first);
    expect(first).toMatch(/^[\x21-\x7e]{1,64}$/);
  });

  it('finds the newest version whose description names the secret version', () => {
    const state = {
      launchTemplateId: 'lt-0abc',
      launchTemplateName: 'lt',
      versions: [
        { versionNumber: 9, description: versionDescriptionFor('other'), isDefault: true },
        { versionNumber: 7, description: versionDescriptionFor('wanted'), isDefault: false },
        { versionNumber: 4, description: versionDescriptionFor('wanted'), isDefault: false },
      ],
    };

    expect(findVersionFor(state, 'wanted')?.versionNumber).toBe(7);
    expect(findVersionFor(state, 'absent')).toBeUndefined();
    expect(defaultVersionOf(state)).toBe(9);
  });

  it('keeps the description within the 255 characters EC2 allows for a version id', () => {
    expect(versionDescriptionFor('a'.repeat(64)).length).toBeLessThanOrEqual(255);
  });
});
