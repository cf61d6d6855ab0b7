import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import { RolloutError, type RolloutSummary, rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { makeDeps, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import {
  type AwsCall,
  decodedUserData,
  ec2Mock,
  type FakeAws,
  type FleetSnapshot,
  midRotationFake,
  SECRET_ARN,
  throttledFor,
} from './fake-aws';

// Throttling on each AWS call the rollout makes, one call at a time: the rollout either throws
// (so its trigger retries) or, for the best-effort pruning, completes and leaves pruning to the
// next run. Either way, the run after the throttle clears ends in exactly the state a run without
// any fault reaches: one launch template version for V, the default, every environment on it.

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const OLD = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const target = { secretArn: SECRET_ARN, secretVersionId: V };
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot'];

function newFake(): FakeAws {
  return midRotationFake(ENVIRONMENTS, { current: OLD, pending: V, pendingValue: SECRET_STRING });
}

function deps() {
  return makeDeps({
    renderUserData,
    settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS, keepLaunchTemplateVersions: 3 },
    backoff: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
  });
}

let reference: FleetSnapshot;

beforeAll(async () => {
  const clean = newFake();
  await rollout(deps(), target);
  reference = clean.snapshot();
});

function expectFinished(fake: FakeAws): void {
  expect(fake.snapshot()).toEqual(reference);
  const [published] = fake.versionsFor(V);
  expect(fake.versionsFor(V)).toHaveLength(1);
  expect(fake.defaultVersion).toBe(published?.versionNumber);
  for (const name of ENVIRONMENTS)
    expect(fake.environmentVersion(name)).toBe(String(published?.versionNumber));
  const userData = decodedUserData(published ?? { userData: undefined });
  expect(userData).toContain(`SECRET_VERSION_ID='${V}'`);
  expect(userData).toContain(`SECRET_ARN='${SECRET_ARN}'`);
}

/** Whatever a failed run left behind, it is only ever a step towards the finished state. */
function expectNothingInconsistent(fake: FakeAws, before: FleetSnapshot): void {
  const published = fake.versionsFor(V);
  expect(published.length).toBeLessThanOrEqual(1);
  const allowed = new Set([String(before.defaultVersion), ...published.map((v) => String(v.versionNumber))]);
  for (const name of ENVIRONMENTS) expect(allowed).toContain(fake.environmentVersion(name));
  expect([before.defaultVersion, ...published.map((v) => v.versionNumber)]).toContain(fake.defaultVersion);
  expect(fake.versions.map((v) => v.versionNumber)).toContain(fake.defaultVersion);
}

describe('rollout under AWS throttling', () => {
  it('reaches a reference state with one new version, the default, on every environment', () => {
    expect(reference.versions).toHaveLength(3);
    expect(reference.versions.at(-1)?.description).toContain(V);
    expect(reference.defaultVersion).toBe(4);
    expect(reference.computeEnvironments).toEqual({ 'ce-ondemand': '4', 'ce-spot': '4' });
  });

  it.each<[AwsCall, number]>([
    ['GetSecretValue', 0],
    ['DescribeLaunchTemplateVersions', 0],
    ['CreateLaunchTemplateVersion', 0],
    ['ModifyLaunchTemplate', 0],
    ['DescribeComputeEnvironments', 0],
    ['UpdateComputeEnvironment', 0],
    ['UpdateComputeEnvironment', 1],
  ])(
    'throws when %s (after %i calls) is throttled, and a retry finishes with one version',
    async (call, pass) => {
      const fake = newFake();
      const before = fake.snapshot();
      const error = throttledFor(call);
      fake.inject(call, { kind: 'reject', error }, { pass });

      const failed = await rollout(deps(), target).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      const afterFailure = fake.snapshot();
      fake.clearFaults();
      const summary = await rollout(deps(), target);

      expect(failed).toBeInstanceOf(Error);
      if (failed instanceof RolloutError) {
        expect(failed.message).toContain(`${error.name}: ${error.message}`);
      } else {
        expect(failed).toBe(error);
      }
      expect(afterFailure.current).toBe(OLD);
      expectNothingInconsistent(fake, before);
      expect(summary.launchTemplateVersion).toBe(4);
      expectFinished(fake);
    },
  );

  it.each<[AwsCall, number]>([
    ['DescribeComputeEnvironments', 1],
    ['DescribeLaunchTemplateVersions', 1],
    ['DeleteLaunchTemplateVersions', 0],
  ])(
    'completes when the pruning call %s (after %i calls) is throttled, and the next run prunes',
    async (call, pass) => {
      const fake = newFake();
      fake.inject(call, { kind: 'reject', error: throttledFor(call) }, { pass });
      const first = deps();

      const summary: RolloutSummary = await rollout(first, target);
      const versionsAfterFirst = fake.versions.length;
      fake.clearFaults();
      const second = await rollout(deps(), target);

      expect(summary.prunedVersions).toEqual([]);
      expect(first.logger.warn).toHaveBeenCalledWith(
        'pruning launch template versions failed; the rollout itself succeeded',
        expect.objectContaining({ error: expect.stringContaining(throttledFor(call).name) }),
      );
      expect(versionsAfterFirst).toBe(4);
      expect(second.prunedVersions).toEqual([1]);
      expect(second.createdLaunchTemplateVersion).toBe(false);
      expectFinished(fake);
    },
  );

  it('fails the environment it was waiting on when a describe in the wait is throttled, then finishes', async () => {
    const fake = newFake();
    const spot = fake.environments.get('ce-spot');
    if (spot) spot.status = 'UPDATING';
    // The first describe (all environments) answers; the wait's own describe is throttled.
    fake.inject(
      'DescribeComputeEnvironments',
      { kind: 'reject', error: throttledFor('DescribeComputeEnvironments') },
      { pass: 1 },
    );

    const failure = rollout(deps(), target);

    await expect(failure).rejects.toThrow(RolloutError);
    await expect(failure).rejects.toThrow(/ce-spot failed: TooManyRequestsException/);
    if (spot) spot.status = 'VALID';
    fake.clearFaults();
    await rollout(deps(), target);
    expectFinished(fake);
  });

  it('makes one version when CreateLaunchTemplateVersion is throttled three times in a row', async () => {
    const fake = newFake();
    fake.inject(
      'CreateLaunchTemplateVersion',
      { kind: 'reject', error: throttledFor('CreateLaunchTemplateVersion') },
      { times: 3 },
    );

    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(rollout(deps(), target)).rejects.toThrow('Request limit exceeded.');
    }
    await rollout(deps(), target);

    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 4);
    expectFinished(fake);
  });
});
