import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { FleetCounts } from './counts';

export const CONVERGED_EVENT_SOURCE = 'batch-registry-gateway';
export const CONVERGED_DETAIL_TYPE = 'Registry Credentials Converged';

/** How long a run that claimed the announcement has to send it before another run may take over. */
export const CLAIM_LEASE_MS = 5 * 60_000;

/**
 * The `detail` of the "Registry Credentials Converged" event: SPEC §12's fields, plus the compute
 * environments whose instances hold no registry credentials (and why) and, with task credentials,
 * how many registry credential secrets carry the version.
 */
export interface ConvergedDetail {
  readonly secretArn: string;
  readonly secretVersionId: string;
  readonly computeEnvironments: readonly {
    readonly name: string;
    readonly current: number;
    readonly stale: number;
    readonly unknown: number;
  }[];
  readonly instances: number;
  readonly notApplicable: readonly { readonly name: string; readonly reason: string }[];
  readonly credentialSecrets?: number;
}

export interface ConvergenceDeps {
  readonly dynamodb: DynamoDBClient;
  readonly eventBridge: EventBridgeClient;
  /** The table that records each announcement (partition key `id`, a string). */
  readonly table: string;
  readonly eventBusName: string;
  readonly now: () => number;
}

/** What became of the announcement in this run. */
export type Announcement = 'sent' | 'already-announced';

/** The event's detail: the counts of SPEC §12, without the per-version breakdown. */
export function convergedDetail(counts: FleetCounts): ConvergedDetail {
  return {
    secretArn: counts.secretArn,
    secretVersionId: counts.secretVersionId,
    computeEnvironments: counts.computeEnvironments.map(({ name, current, stale, unknown }) => ({
      name,
      current,
      stale,
      unknown,
    })),
    instances: counts.instances,
    notApplicable: counts.notApplicable,
    ...(counts.credentialSecrets ? { credentialSecrets: counts.credentialSecrets.current } : {}),
  };
}

/** The record's key: one per secret and version. */
export function announcementKey(secretArn: string, secretVersionId: string): string {
  return `converged#${secretArn}#${secretVersionId}`;
}

/**
 * Puts the "Registry Credentials Converged" event once per secret version, however often and
 * however concurrently it is called. A conditional PutItem claims the announcement (the item is
 * absent, or an earlier claim's lease ran out without sending); only the claimant calls
 * PutEvents, then marks the item sent. A failed PutEvents releases the claim and throws, so the
 * next run sends it. The one window for a second event is a crash between PutEvents and the mark,
 * after the lease: EventBridge has no idempotency token.
 */
export async function announceConvergence(
  deps: ConvergenceDeps,
  detail: ConvergedDetail,
): Promise<Announcement> {
  const id = announcementKey(detail.secretArn, detail.secretVersionId);
  const claimToken = randomUUID();
  const now = deps.now();
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.table,
        Item: {
          id: { S: id },
          status: { S: 'sending' },
          claimToken: { S: claimToken },
          leaseUntil: { N: String(now + CLAIM_LEASE_MS) },
          secretArn: { S: detail.secretArn },
          secretVersionId: { S: detail.secretVersionId },
        },
        ConditionExpression: 'attribute_not_exists(id) OR (#status = :sending AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': { S: 'sending' }, ':now': { N: String(now) } },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'already-announced';
    throw error;
  }

  const owned = {
    TableName: deps.table,
    Key: { id: { S: id } },
    ConditionExpression: 'claimToken = :token',
  };
  try {
    const put = await deps.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: CONVERGED_EVENT_SOURCE,
            DetailType: CONVERGED_DETAIL_TYPE,
            Detail: JSON.stringify(detail),
            EventBusName: deps.eventBusName,
            Resources: [detail.secretArn],
          },
        ],
      }),
    );
    if ((put.FailedEntryCount ?? 0) > 0) {
      const entry = put.Entries?.[0];
      throw new Error(
        `EventBridge did not accept the convergence event: ${entry?.ErrorCode ?? 'unknown error'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  } catch (error) {
    await deps.dynamodb
      .send(new DeleteItemCommand({ ...owned, ExpressionAttributeValues: { ':token': { S: claimToken } } }))
      .catch(() => undefined);
    throw error;
  }
  await deps.dynamodb.send(
    new UpdateItemCommand({
      ...owned,
      UpdateExpression: 'SET #status = :sent, sentAt = :now REMOVE leaseUntil',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':token': { S: claimToken },
        ':sent': { S: 'sent' },
        ':now': { N: String(deps.now()) },
      },
    }),
  );
  return 'sent';
}
