import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RegistryName } from '../../lib/registry/registry-name';
import type { CredentialVerifier } from '../../lib/rollout/credentials';
import { rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { StagedCredentialIssuer } from '../../lib/rotation/credential-issuer';
import { handleSecretChanged, type SecretChangedDeps } from '../../lib/rotation/on-secret-changed';
import { rotateSecret } from '../../lib/rotation/rotate-secret';
import { FIXTURE_SECRET, loadEvent } from '../fixtures/events/load';
import { makeDeps, recordingLogger, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import { batchMock, ec2Mock, FakeAws, SECRET_ARN, secretsMock, throttledFor } from './fake-aws';

// EventBridge delivers at least once and in no particular order. The fixtures (test/fixtures/
// events) name V2 = b7c1e4a2-..., the version a rotation moved AWSCURRENT to from V1 = 5f0a2c4e-...
// Whatever order and however often they come, the fleet must end on AWSCURRENT's version with one
// launch template version per secret version that was ever rolled out.

const V1 = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const V2 = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot'];
const V2_SECRET = SECRET_STRING.replaceAll('pw-LEAK-CANARY-7f3a', 'pw-rotated-2b9d');

type Json = Record<string, unknown> & {
  detail: Record<string, unknown> & { requestParameters: Record<string, unknown> };
};

/** A late PutSecretValue event for V1 (the fixture's token replaced). */
function latePutForV1(): Json {
  const event = loadEvent<Json>('putSecretValue');
  event.id = 'late-put-v1';
  event.detail.requestParameters.clientRequestToken = V1;
  return event;
}

function newFake(): FakeAws {
  ec2Mock.reset();
  batchMock.reset();
  secretsMock.reset();
  const fake = new FakeAws({ versions: 3, environments: ENVIRONMENTS });
  fake.updatingDescribes = 2;
  fake.install();
  return fake;
}

function rolloutFor(secretsManager: SecretsManagerClient, verifier?: CredentialVerifier) {
  const deps = makeDeps({
    renderUserData,
    secretsManager,
    settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS },
    backoff: { attempts: 6, initialDelayMs: 1, maxDelayMs: 4 },
    ...(verifier ? { verifier } : {}),
  });
  return (target: { secretArn: string; secretVersionId: string }) => rollout(deps, target);
}

function eventDeps(verifier?: CredentialVerifier): SecretChangedDeps {
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  return {
    secretsManager,
    secretId: FIXTURE_SECRET.name,
    rollout: rolloutFor(secretsManager, verifier),
    logger: recordingLogger(),
  };
}

function versionOf(fake: FakeAws, secretVersionId: string): string {
  const versions = fake.versionsFor(secretVersionId);
  expect(versions).toHaveLength(1);
  return String(versions[0]?.versionNumber);
}

function expectFleetOn(fake: FakeAws, secretVersionId: string): void {
  const version = versionOf(fake, secretVersionId);
  expect(String(fake.defaultVersion)).toBe(version);
  for (const name of ENVIRONMENTS) expect(fake.environmentVersion(name)).toBe(version);
}

describe('onSecretChanged with duplicate and out-of-order events', () => {
  it('ends on AWSCURRENT when the stage move comes first, twice, and a PutSecretValue for V1 comes late', async () => {
    const fake = newFake();
    fake.addSecretVersion(V1, SECRET_STRING, ['AWSPREVIOUS']);
    fake.addSecretVersion(V2, V2_SECRET, ['AWSCURRENT']);
    const deps = eventDeps();
    const events = [
      loadEvent('updateSecretVersionStage'),
      loadEvent('updateSecretVersionStage'),
      latePutForV1(),
      loadEvent('secretLabelUpdated'),
      loadEvent('rotationSucceeded'),
      latePutForV1(),
    ];

    const results = [];
    for (const event of events) results.push(await handleSecretChanged(deps, event));

    expect(results).toEqual(events.map(() => ({ kind: 'rolled-out', secretVersionId: V2 })));
    expectFleetOn(fake, V2);
    expect(fake.versionsFor(V1)).toHaveLength(0);
    expect(fake.versions).toHaveLength(4);
    expect(fake.appliedUpdates).toHaveLength(ENVIRONMENTS.length);
  });

  it('ends on V2 with one version each when V1 was rolled out, V2 followed and V1 events arrive again', async () => {
    const fake = newFake();
    fake.addSecretVersion(V1, SECRET_STRING, ['AWSCURRENT']);
    const deps = eventDeps();
    await handleSecretChanged(deps, latePutForV1());
    fake.addSecretVersion(V2, V2_SECRET, ['AWSPENDING']);
    fake.moveStage('AWSCURRENT', V2);

    await handleSecretChanged(deps, loadEvent('updateSecretVersionStage'));
    await handleSecretChanged(deps, latePutForV1());
    await handleSecretChanged(deps, loadEvent('updateSecretVersionStage'));
    await handleSecretChanged(deps, latePutForV1());

    expectFleetOn(fake, V2);
    expect(fake.versionsFor(V1)).toHaveLength(1);
    expect(fake.versions).toHaveLength(5);
    expect(fake.appliedUpdates.map((update) => update.version)).toEqual(['4', '4', '5', '5']);
  });

  it('loses nothing when the first delivery fails (thrown for EventBridge to retry) and a duplicate succeeds first', async () => {
    const fake = newFake();
    fake.addSecretVersion(V1, SECRET_STRING, ['AWSPREVIOUS']);
    fake.addSecretVersion(V2, V2_SECRET, ['AWSCURRENT']);
    fake.inject('UpdateComputeEnvironment', {
      kind: 'reject',
      error: throttledFor('UpdateComputeEnvironment'),
    });
    const deps = eventDeps();

    await expect(handleSecretChanged(deps, loadEvent('secretLabelUpdated'))).rejects.toThrow(
      /failed: TooManyRequestsException/,
    );
    await handleSecretChanged(deps, loadEvent('updateSecretVersionStage'));
    await handleSecretChanged(deps, loadEvent('secretLabelUpdated'));

    expectFleetOn(fake, V2);
    expect(fake.versions).toHaveLength(4);
  });

  it('throws, so EventBridge retries, when DescribeSecret is throttled, and changes nothing', async () => {
    const fake = newFake();
    fake.addSecretVersion(V2, V2_SECRET, ['AWSCURRENT']);
    fake.inject('DescribeSecret', { kind: 'reject', error: throttledFor('DescribeSecret') });
    const deps = eventDeps();

    await expect(handleSecretChanged(deps, loadEvent('updateSecretVersionStage'))).rejects.toThrow(
      'Rate exceeded',
    );
    expect(fake.journal).toEqual([]);
    await handleSecretChanged(deps, loadEvent('updateSecretVersionStage'));

    expectFleetOn(fake, V2);
  });
});

/**
 * A stale rollout overlapping a rotation: an event for V1 (still AWSCURRENT when it was handled)
 * is mid-rollout — its registry logins are slow — while finishSecret rolls V2 out and moves
 * AWSCURRENT. onSecretChanged runs one at a time (reservedConcurrency 1), but the rotation
 * function runs beside it.
 */
describe('a stale onSecretChanged rollout overlapping a rotation', () => {
  async function overlap() {
    const fake = newFake();
    fake.addSecretVersion(V1, SECRET_STRING, ['AWSCURRENT']);
    const setup = eventDeps();
    await handleSecretChanged(setup, latePutForV1());
    fake.addSecretVersion(V2, V2_SECRET, ['AWSPENDING']);
    const v1Version = versionOf(fake, V1);

    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowLogin: CredentialVerifier = { login: (_registry: RegistryName) => held };
    const stale = handleSecretChanged(eventDeps(slowLogin), latePutForV1());
    await new Promise((resolve) => setTimeout(resolve, 5));

    const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
    await rotateSecret(
      {
        secretsManager,
        secretId: SECRET_ARN,
        issuer: new StagedCredentialIssuer(secretsManager, 'batch-registry-credentials-staging'),
        verifier: { login: jest.fn().mockResolvedValue(undefined) },
        verifyCredentials: true,
        rollout: rolloutFor(secretsManager),
        logger: recordingLogger(),
      },
      { SecretId: SECRET_ARN, ClientRequestToken: V2, Step: 'finishSecret' },
    );
    const v2Version = versionOf(fake, V2);
    const updatesBeforeStale = fake.appliedUpdates.length;
    release();
    const staleResult = await stale;
    const afterStale = fake.snapshot();
    const updatesByStale = fake.appliedUpdates.slice(updatesBeforeStale);
    // The stage move's own event, queued behind the stale one.
    await handleSecretChanged(eventDeps(), loadEvent('updateSecretVersionStage'));
    return { fake, v1Version, v2Version, staleResult, afterStale, updatesByStale };
  }

  it('converges on V2 once the queued stage-move event is handled', async () => {
    const { fake, v2Version } = await overlap();

    expect(fake.currentVersion()).toBe(V2);
    expectFleetOn(fake, V2);
    expect(fake.versionsFor(V1)).toHaveLength(1);
    expect(String(fake.defaultVersion)).toBe(v2Version);
  });

  // The stale run asks whether V1 is still AWSCURRENT before it moves the default version or
  // updates an environment (RolloutTarget.supersededBy), so it never sets the fleet back to V1's
  // version and never costs an extra round of instance replacements.
  it('never moves the default or an environment back to the superseded version', async () => {
    const { v2Version, afterStale, updatesByStale } = await overlap();

    expect({
      current: afterStale.current,
      defaultVersion: String(afterStale.defaultVersion),
      computeEnvironments: afterStale.computeEnvironments,
      updatesByStale,
    }).toEqual({
      current: V2,
      defaultVersion: v2Version,
      computeEnvironments: { 'ce-ondemand': v2Version, 'ce-spot': v2Version },
      updatesByStale: [],
    });
  });
});
