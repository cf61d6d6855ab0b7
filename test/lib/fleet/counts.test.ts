import { countComputeEnvironment, summariseFleet } from '../../../lib/fleet/counts';

const CURRENT = 'a1b2c3d4-5678-90ab-cdef-111111111111';
const OLD = 'a1b2c3d4-5678-90ab-cdef-000000000000';
const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:container-instance/ce-a_Batch_1/${id}`;

describe('countComputeEnvironment', () => {
  it('counts current, stale and unknown instances, matching attributes by ARN or id', () => {
    const instances = ['i1', 'i2', 'i3', 'i4', 'i5'].map(arn);

    const counts = countComputeEnvironment(
      'ce-a',
      instances,
      [
        { targetId: arn('i1'), value: CURRENT },
        { targetId: 'i2', value: CURRENT },
        { targetId: arn('i3'), value: OLD },
      ],
      CURRENT,
    );

    expect(counts).toEqual({
      name: 'ce-a',
      current: 2,
      stale: 1,
      unknown: 2,
      versions: { [CURRENT]: 2, [OLD]: 1 },
    });
  });

  it('ignores attributes of instances that are not listed (deregistered, or another cluster)', () => {
    const counts = countComputeEnvironment(
      'ce-a',
      [arn('i1')],
      [
        { targetId: arn('i1'), value: CURRENT },
        { targetId: arn('gone'), value: OLD },
      ],
      CURRENT,
    );

    expect(counts).toMatchObject({ current: 1, stale: 0, unknown: 0 });
  });

  it('counts an instance listed twice (ACTIVE and DRAINING between two pages) once', () => {
    const counts = countComputeEnvironment('ce-a', [arn('i1'), arn('i1')], [], CURRENT);

    expect(counts).toMatchObject({ unknown: 1 });
  });
});

describe('summariseFleet', () => {
  const counts = (name: string, current: number, stale: number, unknown: number) => ({
    name,
    current,
    stale,
    unknown,
    versions: {},
  });

  const parts = (computeEnvironments: ReturnType<typeof counts>[]) => ({
    secretArn: 'arn',
    secretVersionId: CURRENT,
    instanceCredentials: true,
    computeEnvironments,
    notApplicable: [],
    skipped: [],
  });

  it.each([
    ['no compute environment', [], true],
    ['zero instances', [counts('a', 0, 0, 0)], true],
    ['every instance current', [counts('a', 3, 0, 0), counts('b', 1, 0, 0)], true],
    ['a stale instance', [counts('a', 3, 0, 0), counts('b', 1, 1, 0)], false],
    ['an unknown instance', [counts('a', 3, 0, 1)], false],
  ])('says converged or not with %s', (_case, computeEnvironments, converged) => {
    const fleet = summariseFleet(parts(computeEnvironments));

    expect(fleet.converged).toBe(converged);
  });

  it.each([
    ['every credential secret current', { current: 2, stale: [] }, true],
    ['a credential secret on another version', { current: 1, stale: ['prefix/ghcr.io'] }, false],
  ])('says converged or not with %s', (_case, credentialSecrets, converged) => {
    const fleet = summariseFleet({ ...parts([counts('a', 3, 0, 0)]), credentialSecrets });

    expect(fleet.converged).toBe(converged);
  });

  it('totals the counts over compute environments', () => {
    const fleet = summariseFleet(parts([counts('a', 3, 1, 0), counts('b', 2, 0, 4)]));

    expect(fleet).toMatchObject({ instances: 10, current: 5, stale: 1, unknown: 4 });
  });
});
