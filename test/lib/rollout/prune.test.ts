import { planPrune } from '../../../lib/rollout/prune';

function versions(numbers: number[], defaultVersion: number) {
  return numbers.map((versionNumber) => ({
    versionNumber,
    description: undefined,
    isDefault: versionNumber === defaultVersion,
  }));
}

describe('planPrune', () => {
  it('deletes versions older than the newest ones kept, oldest first', () => {
    const plan = planPrune({
      versions: versions([5, 1, 3, 2, 4], 5),
      keep: 2,
      rolledOut: 5,
      inUse: new Set(),
    });

    expect(plan).toEqual([1, 2, 3]);
  });

  it('never deletes the default, the rolled-out version, the latest or one in use', () => {
    const plan = planPrune({
      versions: versions([1, 2, 3, 4, 5, 6], 2),
      keep: 1,
      rolledOut: 3,
      inUse: new Set(['4']),
    });

    expect(plan).toEqual([1, 5]);
  });

  it.each(['$Default', '$Latest'])(
    'deletes nothing while a compute environment names %s (Batch resolved it at some unknown earlier time)',
    (symbolic) => {
      const plan = planPrune({
        versions: versions([1, 2, 3, 4, 5, 6], 6),
        keep: 1,
        rolledOut: 6,
        inUse: new Set([symbolic]),
      });

      expect(plan).toEqual([]);
    },
  );

  it('deletes nothing while there are no more versions than it keeps', () => {
    const plan = planPrune({ versions: versions([1, 2, 3], 3), keep: 10, rolledOut: 3, inUse: new Set() });

    expect(plan).toEqual([]);
  });
});
