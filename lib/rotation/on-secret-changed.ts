import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { versionWithStage } from '../registry/secret-store';
import type { LaunchTemplateView, LogSink, RolloutTarget } from '../rollout/rollout';

/** CloudTrail event names (API calls and service events) after which AWSCURRENT may have moved. */
export const HANDLED_CLOUDTRAIL_EVENTS = [
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotationSucceeded',
] as const;

const optionalText = z.catch(z.optional(z.string().check(z.minLength(1))), undefined);
const optionalRecord = z.catch(z.nullish(z.record(z.string(), z.unknown())), undefined);

const labelUpdatedSchema = z.object({
  'detail-type': z.literal('Secret Label Updated'),
  source: z.literal('aws.secretsmanager'),
  resources: z.catch(z.optional(z.array(z.string())), undefined),
  detail: z.object({ name: optionalText, labelUpdated: optionalText, versionId: optionalText }),
});

const cloudTrailSchema = z.object({
  'detail-type': z.enum(['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail']),
  source: z.literal('aws.secretsmanager'),
  detail: z.object({
    eventSource: z.literal('secretsmanager.amazonaws.com'),
    eventName: z.string(),
    errorCode: optionalText,
    requestParameters: optionalRecord,
    responseElements: optionalRecord,
    additionalEventData: optionalRecord,
    resources: z.catch(z.nullish(z.array(z.object({ ARN: optionalText }))), undefined),
  }),
});

const scheduledSchema = z.object({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
});

/**
 * What an event says: a possible change to some secret (named by `secretRefs`), a scheduled
 * reconciliation (bring the fleet to AWSCURRENT whatever happened before), or nothing to act on.
 */
export type SecretEventInterpretation =
  | { readonly kind: 'candidate'; readonly eventName: string; readonly secretRefs: readonly string[] }
  | { readonly kind: 'reconcile'; readonly eventName: 'Scheduled Event' }
  | { readonly kind: 'ignored'; readonly reason: string };

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function texts(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

/**
 * Reads an EventBridge event (pure): `Secret Label Updated` for AWSCURRENT, and the CloudTrail
 * events PutSecretValue, UpdateSecret, UpdateSecretVersionStage (API calls) and RotationSucceeded
 * (service event). Returns every identifier of the secret the event carries (ARN, name, partial
 * ARN) — CloudTrail writes the response ARN as `arn` or, in older events, `aRN`. Failed calls,
 * other labels and stage moves that do not touch AWSCURRENT are ignored.
 */
export function interpretSecretEvent(event: unknown): SecretEventInterpretation {
  if (scheduledSchema.safeParse(event).success) return { kind: 'reconcile', eventName: 'Scheduled Event' };
  const label = labelUpdatedSchema.safeParse(event);
  if (label.success) {
    const { detail, resources } = label.data;
    if (detail.labelUpdated !== 'AWSCURRENT') {
      return { kind: 'ignored', reason: `label ${detail.labelUpdated ?? '(none)'} is not AWSCURRENT` };
    }
    const refs = [...(resources ?? []), ...(detail.name ? [detail.name] : [])];
    return { kind: 'candidate', eventName: 'Secret Label Updated', secretRefs: refs };
  }
  const trail = cloudTrailSchema.safeParse(event);
  if (!trail.success) return { kind: 'ignored', reason: 'not a Secrets Manager event this function handles' };
  const detail = trail.data.detail;
  const eventName = detail.eventName;
  if (!(HANDLED_CLOUDTRAIL_EVENTS as readonly string[]).includes(eventName)) {
    return { kind: 'ignored', reason: `${eventName} does not change the secret's value` };
  }
  if (detail.errorCode) return { kind: 'ignored', reason: `${eventName} failed with ${detail.errorCode}` };
  const request = detail.requestParameters ?? {};
  const response = detail.responseElements ?? {};
  if (eventName === 'UpdateSecretVersionStage' && text(request.versionStage) !== 'AWSCURRENT') {
    return {
      kind: 'ignored',
      reason: `UpdateSecretVersionStage moved ${text(request.versionStage)}, not AWSCURRENT`,
    };
  }
  const stages = texts(request.versionStages);
  if (eventName === 'PutSecretValue' && stages !== undefined && !stages.includes('AWSCURRENT')) {
    return { kind: 'ignored', reason: `PutSecretValue staged ${stages.join(', ')}, not AWSCURRENT` };
  }
  const refs = [
    text(request.secretId),
    text(response.arn),
    text(response.aRN),
    text(response.name),
    text(detail.additionalEventData?.SecretId),
    ...(detail.resources ?? []).map((resource) => resource.ARN),
  ].filter((ref): ref is string => ref !== undefined);
  return { kind: 'candidate', eventName, secretRefs: refs };
}

/** The configured secret, as DescribeSecret names it. */
export interface SecretIdentity {
  readonly arn: string;
  readonly name: string;
  /** REGISTRY_SECRET_ARN as configured: an ARN, a partial ARN or a name. */
  readonly configured: string;
}

/**
 * Whether a reference from an event names the configured secret (pure): its full ARN, its
 * partial ARN (the full ARN without the `-` and six random characters), its name, or the
 * configured value.
 */
export function refersToSecret(ref: string, secret: SecretIdentity): boolean {
  if (ref === secret.arn || ref === secret.name || ref === secret.configured) return true;
  return /-[A-Za-z0-9]{6}$/.test(secret.arn) && ref === secret.arn.slice(0, -7);
}

export interface SecretChangedDeps {
  readonly secretsManager: SecretsManagerClient;
  /** REGISTRY_SECRET_ARN. */
  readonly secretId: string;
  readonly rollout: (target: RolloutTarget) => Promise<unknown>;
  readonly logger: LogSink;
}

export type SecretChangedResult =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'rolled-out'; readonly secretVersionId: string };

/**
 * Handles one EventBridge event (SPEC §6). For the configured secret it resolves AWSCURRENT
 * (DescribeSecret VersionIdsToStages, which is never stale) and runs the rollout; duplicate and
 * out-of-order events therefore converge on the current version. Events for other secrets, and
 * events that cannot have moved AWSCURRENT, are ignored with a log line. A scheduled event
 * reconciles: whatever was missed or dead-lettered before, the fleet ends on AWSCURRENT (a cheap
 * no-op when it already is). Failures are thrown so EventBridge retries and finally dead-letters
 * the event.
 */
export async function handleSecretChanged(
  deps: SecretChangedDeps,
  event: unknown,
): Promise<SecretChangedResult> {
  const eventId = typeof event === 'object' && event !== null && 'id' in event ? text(event.id) : undefined;
  const interpreted = interpretSecretEvent(event);
  if (interpreted.kind === 'ignored') {
    deps.logger.info('event ignored', { eventId, reason: interpreted.reason });
    return interpreted;
  }
  const described = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: deps.secretId }));
  if (!described.ARN || !described.Name)
    throw new Error(`DescribeSecret ${deps.secretId} returned no ARN or name`);
  const secret: SecretIdentity = { arn: described.ARN, name: described.Name, configured: deps.secretId };
  if (
    interpreted.kind === 'candidate' &&
    !interpreted.secretRefs.some((ref) => refersToSecret(ref, secret))
  ) {
    const reason = `${interpreted.eventName} is for another secret (${interpreted.secretRefs.join(', ') || 'none named'})`;
    deps.logger.info('event ignored', { eventId, reason });
    return { kind: 'ignored', reason };
  }
  const current = versionWithStage(described.VersionIdsToStages, 'AWSCURRENT');
  if (current === undefined && interpreted.kind === 'reconcile') {
    // A new stack's secret stays empty until the operator puts the first value.
    const reason = `secret ${secret.arn} has no value yet`;
    deps.logger.info('event ignored', { eventId, reason });
    return { kind: 'ignored', reason };
  }
  if (current === undefined) throw new Error(`Secret ${secret.arn} has no AWSCURRENT version`);
  deps.logger.info('rolling out the current secret version', {
    eventId,
    eventName: interpreted.eventName,
    secretArn: secret.arn,
    secretVersionId: current,
  });
  // A rotation may move AWSCURRENT on while this run waits: it must not then move the fleet back.
  // Nor while the rotation's finishSecret is still rolling its pending version out (it moves
  // AWSCURRENT only after the fleet took it): a pending version that already has its launch
  // template version supersedes the older AWSCURRENT.
  const supersededBy = async (launchTemplate?: LaunchTemplateView): Promise<string | undefined> => {
    const now = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    const latest = versionWithStage(now.VersionIdsToStages, 'AWSCURRENT');
    if (latest !== current) return `superseded: AWSCURRENT is now version ${latest ?? '(none)'}`;
    const pending = versionWithStage(now.VersionIdsToStages, 'AWSPENDING');
    if (pending !== undefined && pending !== current && (await launchTemplate?.hasVersionFor(pending))) {
      return `superseded: a rotation is rolling out pending version ${pending} (its launch template version exists)`;
    }
    return undefined;
  };
  await deps.rollout({ secretArn: secret.arn, secretVersionId: current, supersededBy });
  return { kind: 'rolled-out', secretVersionId: current };
}
