import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import { rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { makeDeps, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import {
  type AwsCall,
  ec2Mock,
  type FakeAws,
  type FleetSnapshot,
  midRotationFake,
  SECRET_ARN,
  withDeadline,
} from './fake-aws';

// The Lambda times out (or its connection drops) in the middle of a rollout, after some writes
// reached AWS; the trigger then runs it again. The retry must finish the job with the launch
// template version the first run published, never a second one.

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const OLD = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const target = { secretArn: SECRET_ARN, secretVersionId: V };
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot', 'ce-gpu'];
const LAMBDA_TIMEOUT_MS = 50;

function newFake(): FakeAws {
  return midRotationFake(ENVIRONMENTS, { current: OLD, pending: V, pendingValue: SECRET_STRING });
}

function deps() {
  return makeDeps({
    renderUserData,
    settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS },
    backoff: { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 },
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
  expect(fake.versionsFor(V)).toHaveLength(1);
  expect(reference.computeEnvironments).toEqual({ 'ce-ondemand': '4', 'ce-spot': '4', 'ce-gpu': '4' });
}

describe('a rollout interrupted by a Lambda timeout, then retried', () => {
  it.each<[string, AwsCall, 'hang-before' | 'hang-after', number]>([
    ['UpdateComputeEnvironment never answers (request lost)', 'UpdateComputeEnvironment', 'hang-before', 1],
    [
      'UpdateComputeEnvironment never answers (Batch applied it)',
      'UpdateComputeEnvironment',
      'hang-after',
      1,
    ],
    [
      'CreateLaunchTemplateVersion never answers (EC2 created it)',
      'CreateLaunchTemplateVersion',
      'hang-after',
      0,
    ],
    ['ModifyLaunchTemplate never answers (EC2 applied it)', 'ModifyLaunchTemplate', 'hang-after', 0],
    // The environments are described before anything changes, so that timeout leaves nothing behind.
    ['the environments describe never answers', 'DescribeComputeEnvironments', 'hang-before', 0],
  ])('finishes with one version when %s', async (_case, call, mode, pass) => {
    const fake = newFake();
    fake.inject(call, { kind: 'hang', afterEffect: mode === 'hang-after' }, { pass });

    const first = withDeadline(rollout(deps(), target), LAMBDA_TIMEOUT_MS);

    await expect(first).rejects.toThrow('Task timed out');
    expect(fake.versionsFor(V).length).toBeLessThanOrEqual(1);
    const createdBefore = fake.versionsFor(V).length === 1;
    const summary = await rollout(deps(), target);
    expect(summary).toMatchObject({ launchTemplateVersion: 4, createdLaunchTemplateVersion: !createdBefore });
    expectFinished(fake);
  });

  it('reuses the version when the create response was lost, found by its description', async () => {
    const fake = newFake();
    fake.inject('CreateLaunchTemplateVersion', { kind: 'lose-response', error: new Error('socket hang up') });

    await expect(rollout(deps(), target)).rejects.toThrow('socket hang up');
    const retried = await rollout(deps(), target);

    expect(retried.createdLaunchTemplateVersion).toBe(false);
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 1);
    expectFinished(fake);
  });

  it('gets the same version back through the ClientToken when a stale describe hides the one it made', async () => {
    const fake = newFake();
    fake.inject('CreateLaunchTemplateVersion', { kind: 'lose-response', error: new Error('socket hang up') });
    // EC2 is eventually consistent: the retry's first describe does not list the new version yet.
    fake.inject('DescribeLaunchTemplateVersions', { kind: 'stale' }, { pass: 1 });

    await expect(rollout(deps(), target)).rejects.toThrow('socket hang up');
    const retried = await rollout(deps(), target);

    expect(ec2Mock).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 2);
    const tokens = ec2Mock
      .commandCalls(CreateLaunchTemplateVersionCommand)
      .map((call) => call.args[0].input.ClientToken);
    expect(new Set(tokens).size).toBe(1);
    expect(retried.launchTemplateVersion).toBe(4);
    expectFinished(fake);
  });

  it('is retried three times across timeouts at different points and still ends with one version', async () => {
    const fake = newFake();
    fake.inject('CreateLaunchTemplateVersion', { kind: 'hang', afterEffect: true });
    fake.inject('UpdateComputeEnvironment', { kind: 'hang', afterEffect: true }, { pass: 2 });

    await expect(withDeadline(rollout(deps(), target), LAMBDA_TIMEOUT_MS)).rejects.toThrow('Task timed out');
    await expect(withDeadline(rollout(deps(), target), LAMBDA_TIMEOUT_MS)).rejects.toThrow('Task timed out');
    await rollout(deps(), target);

    expect(fake.appliedUpdates.map((update) => update.computeEnvironment).sort()).toEqual(
      [...ENVIRONMENTS].sort(),
    );
    expectFinished(fake);
  });
});
