import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { RolloutTarget } from '../../../lib/rollout/rollout';
import {
  handleSecretChanged,
  interpretSecretEvent,
  refersToSecret,
  type SecretChangedDeps,
} from '../../../lib/rotation/on-secret-changed';
import { type EventFixture, FIXTURE_SECRET, loadEvent } from '../../fixtures/events/load';

const secretsMock = mockClient(SecretsManagerClient);
const CURRENT = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const OTHER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:payments-db-Zx9Yw8';

interface CloudTrailEvent {
  detail: {
    requestParameters: Record<string, unknown> | null;
    responseElements: Record<string, unknown> | null;
    additionalEventData?: Record<string, unknown>;
    errorCode?: string;
  };
}

function installSecret() {
  secretsMock.on(DescribeSecretCommand).resolves({
    ARN: FIXTURE_SECRET.arn,
    Name: FIXTURE_SECRET.name,
    RotationEnabled: true,
    VersionIdsToStages: {
      '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13': ['AWSPREVIOUS'],
      [CURRENT]: ['AWSCURRENT', 'AWSPENDING'],
    },
  });
}

function makeDeps(secretId: string = FIXTURE_SECRET.name) {
  const rollout = jest.fn().mockResolvedValue(undefined);
  const logger = { info: jest.fn(), warn: jest.fn() };
  const deps: SecretChangedDeps = {
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    secretId,
    rollout,
    logger,
  };
  return { deps, rollout, logger };
}

const SECRET_EVENTS: EventFixture[] = [
  'secretLabelUpdated',
  'putSecretValue',
  'updateSecret',
  'updateSecretVersionStage',
  'rotationSucceeded',
];

describe('handleSecretChanged', () => {
  beforeEach(() => {
    secretsMock.reset();
    installSecret();
  });

  it.each(SECRET_EVENTS)('rolls out the AWSCURRENT version after %s', async (fixture) => {
    const { deps, rollout } = makeDeps();

    const result = await handleSecretChanged(deps, loadEvent(fixture));

    expect(result).toEqual({ kind: 'rolled-out', secretVersionId: CURRENT });
    expect(rollout).toHaveBeenCalledWith({
      secretArn: FIXTURE_SECRET.arn,
      secretVersionId: CURRENT,
      supersededBy: expect.any(Function),
    });
  });

  it('reconciles on a scheduled event: rolls out AWSCURRENT without the event naming the secret', async () => {
    const { deps, rollout } = makeDeps();

    const result = await handleSecretChanged(deps, loadEvent('scheduledEvent'));

    expect(result).toEqual({ kind: 'rolled-out', secretVersionId: CURRENT });
    expect(rollout).toHaveBeenCalledWith(expect.objectContaining({ secretVersionId: CURRENT }));
  });

  it('lets a scheduled event pass quietly while the secret has no value yet', async () => {
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      Name: FIXTURE_SECRET.name,
      VersionIdsToStages: {},
    });
    const { deps, rollout } = makeDeps();

    const result = await handleSecretChanged(deps, loadEvent('scheduledEvent'));

    expect(result).toEqual({ kind: 'ignored', reason: `secret ${FIXTURE_SECRET.arn} has no value yet` });
    expect(rollout).not.toHaveBeenCalled();
  });

  it('tells the rollout it is superseded once AWSCURRENT moves past the version it rolls out', async () => {
    const { deps, rollout } = makeDeps();
    await handleSecretChanged(deps, loadEvent('putSecretValue'));
    const [[target]] = rollout.mock.calls as [[RolloutTarget]];
    const whileCurrent = await target.supersededBy?.();
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      Name: FIXTURE_SECRET.name,
      RotationEnabled: true,
      VersionIdsToStages: {
        [CURRENT]: ['AWSPREVIOUS'],
        'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9': ['AWSCURRENT'],
      },
    });

    const afterRotation = await target.supersededBy?.();

    expect(whileCurrent).toBeUndefined();
    expect(afterRotation).toBe('superseded: AWSCURRENT is now version f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9');
  });

  it('counts a pending version as superseding only once its launch template version exists', async () => {
    const pending = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';
    const { deps, rollout } = makeDeps();
    await handleSecretChanged(deps, loadEvent('putSecretValue'));
    const [[target]] = rollout.mock.calls as [[RolloutTarget]];
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      Name: FIXTURE_SECRET.name,
      RotationEnabled: true,
      VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] },
    });
    const published = new Set<string>();
    const view = { hasVersionFor: async (id: string) => published.has(id) };

    const beforePublishing = await target.supersededBy?.(view);
    published.add(pending);
    const afterPublishing = await target.supersededBy?.(view);
    const withoutView = await target.supersededBy?.();

    expect(beforePublishing).toBeUndefined();
    expect(afterPublishing).toBe(
      `superseded: a rotation is rolling out pending version ${pending} (its launch template version exists)`,
    );
    expect(withoutView).toBeUndefined();
  });

  it.each([
    ['its full ARN', FIXTURE_SECRET.arn],
    ['its partial ARN', FIXTURE_SECRET.arn.slice(0, -7)],
    ['its name', FIXTURE_SECRET.name],
  ])('matches the configured secret given as %s', async (_how, secretId) => {
    const { deps, rollout } = makeDeps(secretId);

    await handleSecretChanged(deps, loadEvent('rotationSucceeded'));

    expect(rollout).toHaveBeenCalledTimes(1);
  });

  it('ignores, with a log line, an event for another secret', async () => {
    const event = loadEvent<CloudTrailEvent>('putSecretValue');
    event.detail.requestParameters = { secretId: 'payments-db' };
    event.detail.responseElements = { arn: OTHER_ARN };
    const { deps, rollout, logger } = makeDeps();

    const result = await handleSecretChanged(deps, event);

    expect(result.kind).toBe('ignored');
    expect(rollout).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledWith(
      'event ignored',
      expect.objectContaining({ reason: expect.stringContaining(OTHER_ARN) }),
    );
  });

  it('does not mistake a secret whose name starts with the configured name for it', async () => {
    const event = loadEvent<CloudTrailEvent>('rotationSucceeded');
    event.detail.additionalEventData = {
      SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:batch-registry-credentials-old-Qw3Er4',
    };
    const { deps, rollout } = makeDeps();

    await handleSecretChanged(deps, event);

    expect(rollout).not.toHaveBeenCalled();
  });

  it('handles a duplicate event by running the same idempotent rollout of the same version', async () => {
    const { deps, rollout } = makeDeps();
    const event = loadEvent('secretLabelUpdated');

    await handleSecretChanged(deps, event);
    await handleSecretChanged(deps, structuredClone(event));

    const sameTarget = {
      secretArn: FIXTURE_SECRET.arn,
      secretVersionId: CURRENT,
      supersededBy: expect.any(Function),
    };
    expect(rollout.mock.calls).toEqual([[sameTarget], [sameTarget]]);
  });

  it('throws a rollout failure so EventBridge retries the event', async () => {
    const { deps, rollout } = makeDeps();
    rollout.mockRejectedValue(new Error('Rollout of secret version is incomplete'));

    await expect(handleSecretChanged(deps, loadEvent('updateSecretVersionStage'))).rejects.toThrow(
      'incomplete',
    );
  });

  it('throws when the configured secret cannot be described', async () => {
    secretsMock.on(DescribeSecretCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const { deps } = makeDeps();

    await expect(handleSecretChanged(deps, loadEvent('putSecretValue'))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('interpretSecretEvent', () => {
  it('ignores a label other than AWSCURRENT', () => {
    const event = loadEvent<{ detail: { labelUpdated: string } }>('secretLabelUpdated');
    event.detail.labelUpdated = 'AWSPREVIOUS';

    expect(interpretSecretEvent(event)).toEqual({
      kind: 'ignored',
      reason: 'label AWSPREVIOUS is not AWSCURRENT',
    });
  });

  it('ignores a failed API call', () => {
    const event = loadEvent<CloudTrailEvent>('updateSecret');
    event.detail.errorCode = 'AccessDenied';

    expect(interpretSecretEvent(event)).toMatchObject({
      kind: 'ignored',
      reason: 'UpdateSecret failed with AccessDenied',
    });
  });

  it('ignores a value staged as AWSPENDING and a stage move of another label', () => {
    const staged = loadEvent<CloudTrailEvent>('putSecretValue');
    staged.detail.requestParameters = { ...staged.detail.requestParameters, versionStages: ['AWSPENDING'] };
    const moved = loadEvent<CloudTrailEvent>('updateSecretVersionStage');
    moved.detail.requestParameters = { ...moved.detail.requestParameters, versionStage: 'AWSPENDING' };

    expect(interpretSecretEvent(staged).kind).toBe('ignored');
    expect(interpretSecretEvent(moved).kind).toBe('ignored');
  });

  it('reads the ARN CloudTrail wrote as aRN before February 2024', () => {
    const event = loadEvent<CloudTrailEvent>('updateSecret');
    event.detail.requestParameters = { secretId: 'alias-free-id' };
    event.detail.responseElements = { aRN: FIXTURE_SECRET.arn };

    expect(interpretSecretEvent(event)).toMatchObject({
      kind: 'candidate',
      secretRefs: ['alias-free-id', FIXTURE_SECRET.arn],
    });
  });

  it('ignores other services and other Secrets Manager calls', () => {
    const other = loadEvent<{ detail: { eventName: string } }>('putSecretValue');
    other.detail.eventName = 'GetSecretValue';

    expect(interpretSecretEvent(other)).toMatchObject({ kind: 'ignored' });
    expect(
      interpretSecretEvent({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }),
    ).toMatchObject({
      kind: 'ignored',
    });
    expect(interpretSecretEvent(null)).toMatchObject({ kind: 'ignored' });
  });
});

describe('refersToSecret', () => {
  const secret = { arn: FIXTURE_SECRET.arn, name: FIXTURE_SECRET.name, configured: FIXTURE_SECRET.name };

  it.each([
    [FIXTURE_SECRET.arn, true],
    [FIXTURE_SECRET.arn.slice(0, -7), true],
    [FIXTURE_SECRET.name, true],
    [OTHER_ARN, false],
    ['batch-registry', false],
    [`${FIXTURE_SECRET.arn.slice(0, -7)}-Zz9Zz9`, false],
  ])('%s → %s', (ref, expected) => {
    expect(refersToSecret(ref, secret)).toBe(expected);
  });
});
