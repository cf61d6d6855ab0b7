import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { versionDescriptionFor } from '../../lib/rollout/launch-template';
import { type RolloutTarget, rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { handleSecretChanged } from '../../lib/rotation/on-secret-changed';
import { rotateSecret } from '../../lib/rotation/rotate-secret';
import { FIXTURE_SECRET, loadEvent } from '../fixtures/events/load';
import { makeDeps, recordingLogger, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import { type FakeAws, midRotationFake, SECRET_ARN } from './fake-aws';

// finishSecret publishes the pending version's launch template version, then waits while a
// compute environment is UPDATING (Batch refuses an update meanwhile), and moves AWSCURRENT only
// after the fleet took the new version. An hourly reconcile that runs inside that wait still sees
// the old AWSCURRENT. On one shared fake, finishSecret is paused inside its wait while the
// reconcile runs; the reconcile must not roll the fleet back to the old credentials.

const OLD = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const NEW_SECRET = SECRET_STRING.replaceAll('pw-LEAK-CANARY-7f3a', 'pw-rotated-2b9d');
const SETTINGS_ONE_CE = { ...SETTINGS, computeEnvironments: ['ce-ondemand'] };

/** A gate that a rollout's sleep waits on: `entered` resolves when the wait begins. */
function pausableSleep() {
  let enter: () => void = () => undefined;
  let release: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sleep = async (): Promise<void> => {
    enter();
    await released;
  };
  return { entered, release, sleep };
}

function fleetOnOldCredentials(): FakeAws {
  const fake = midRotationFake(['ce-ondemand'], { current: OLD, pending: TOKEN, pendingValue: NEW_SECRET });
  const onOld = fake.versions[2];
  if (!onOld) throw new Error('the fake has no version 3');
  fake.versions[2] = { ...onOld, description: versionDescriptionFor(OLD) };
  return fake;
}

describe('an hourly reconcile while finishSecret waits on an UPDATING compute environment', () => {
  it('counts the pending version with a launch template version as superseding the old AWSCURRENT', async () => {
    const fake = fleetOnOldCredentials();
    const environment = fake.environments.get('ce-ondemand');
    if (!environment) throw new Error('no compute environment');
    environment.status = 'UPDATING';
    const gate = pausableSleep();
    const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
    const finishDeps = makeDeps({
      renderUserData,
      secretsManager,
      settings: SETTINGS_ONE_CE,
      sleep: gate.sleep,
    });
    const reconcileDeps = makeDeps({ renderUserData, secretsManager, settings: SETTINGS_ONE_CE });
    const reconcileTargets: RolloutTarget[] = [];
    const finishing = rotateSecret(
      {
        secretsManager,
        secretId: SECRET_ARN,
        issuer: { ensurePending: jest.fn() },
        verifier: finishDeps.verifier,
        verifyCredentials: true,
        rollout: (target) => rollout(finishDeps, target),
        logger: recordingLogger(),
      },
      { SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step: 'finishSecret' },
    );
    await gate.entered;
    const journalBeforeReconcile = [...fake.journal];

    const reconciled = await handleSecretChanged(
      {
        secretsManager,
        secretId: FIXTURE_SECRET.name,
        rollout: (target) => {
          reconcileTargets.push(target);
          return rollout(reconcileDeps, target);
        },
        logger: recordingLogger(),
      },
      loadEvent('scheduledEvent'),
    );
    const journalAfterReconcile = [...fake.journal];
    environment.status = 'VALID';
    gate.release();
    await finishing;

    expect(journalBeforeReconcile).toEqual([
      'CreateLaunchTemplateVersion 4',
      'ModifyLaunchTemplate default=4',
    ]);
    expect(reconciled).toEqual({ kind: 'rolled-out', secretVersionId: OLD });
    expect(reconcileTargets.map((target) => target.secretVersionId)).toEqual([OLD]);
    // The reconcile changed nothing: no version for OLD, no default move, no update.
    expect(journalAfterReconcile).toEqual(journalBeforeReconcile);
    expect(reconcileDeps.logger.lines()).toContain(
      `superseded: a rotation is rolling out pending version ${TOKEN} (its launch template version exists)`,
    );
    expect(fake.journal.slice(2)).toEqual([
      'UpdateComputeEnvironment ce-ondemand=4',
      `UpdateSecretVersionStage AWSCURRENT→${TOKEN}`,
      `UpdateSecretVersionStage AWSPENDING removed from ${TOKEN}`,
    ]);
    expect(fake.snapshot()).toMatchObject({
      defaultVersion: 4,
      computeEnvironments: { 'ce-ondemand': '4' },
      current: TOKEN,
    });
  });
});
