import type { RegistryName } from '../../lib/registry/registry-name';
import { rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { makeDeps, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import { type FakeAws, midRotationFake, SECRET_ARN } from './fake-aws';

// Two (or three) rollouts of the same secret version at once — a rotation's finishSecret and the
// event its own stage move emits, or an event delivered twice — against a fake that behaves like
// EC2 and Batch (ClientToken idempotency; an environment refuses a second update while UPDATING).

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const OLD = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const target = { secretArn: SECRET_ARN, secretVersionId: V };
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot', 'ce-gpu'];

function newFake(): FakeAws {
  return midRotationFake(ENVIRONMENTS, { current: OLD, pending: V, pendingValue: SECRET_STRING });
}

/** Rollout dependencies whose registry logins take `loginDelayMs`, to shift how runs interleave. */
function deps(loginDelayMs: number) {
  return makeDeps({
    renderUserData,
    settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS },
    backoff: { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 },
    verifier: {
      login: (_registry: RegistryName) => new Promise<void>((resolve) => setTimeout(resolve, loginDelayMs)),
    },
  });
}

async function runTogether(delays: readonly number[]): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(delays.map((delay) => rollout(deps(delay), target)));
}

describe('concurrent rollouts of the same secret version', () => {
  // No reserved concurrency serialises these runs (serverless.yml): Batch does, by refusing
  // UpdateComputeEnvironment with a ClientException while the environment is UPDATING. The run
  // that loses looks again, waits, and finds the environment already on the version.
  it.each([[[0, 0]], [[0, 1]], [[1, 0]], [[0, 0, 0]], [[2, 0, 1]]])(
    'all succeed with one launch template version and every environment on it, Batch refusing updates while UPDATING (login delays %j ms)',
    async (delays) => {
      const fake = newFake();

      const results = await runTogether(delays);

      expect(results.map((result) => result.status)).toEqual(delays.map(() => 'fulfilled'));
      const published = fake.versionsFor(V);
      expect(published).toHaveLength(1);
      expect(fake.versions.map((version) => version.versionNumber)).toEqual([1, 2, 3, 4]);
      expect(fake.defaultVersion).toBe(4);
      for (const name of ENVIRONMENTS) expect(fake.environmentVersion(name)).toBe('4');
      // No environment went through two infrastructure updates (each replaces its instances).
      expect(fake.appliedUpdates.map((update) => update.computeEnvironment).sort()).toEqual(
        [...ENVIRONMENTS].sort(),
      );
    },
  );

  it('ends the same way when Batch accepts overlapping updates instead of refusing them', async () => {
    const fake = newFake();
    fake.updatingDescribes = 0;

    const results = await runTogether([0, 0]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(fake.versionsFor(V)).toHaveLength(1);
    for (const name of ENVIRONMENTS) expect(fake.environmentVersion(name)).toBe('4');
    expect(new Set(fake.appliedUpdates.map((update) => update.version))).toEqual(new Set(['4']));
  });
});
