import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { isError } from '../errors';

/**
 * One `Idempotency-Key` record (SPEC §14) as the table keeps it: key `id` (S), TTL attribute
 * `expiration` (epoch seconds), `status`, the in-flight mark `in_progress_expiration` (epoch
 * milliseconds), the body's hash `validation` and, once completed, the answer as JSON in `data`.
 * The layout is the one Powertools' idempotency utility uses, so its tooling reads these records.
 */
export interface IdempotencyRecord {
  readonly id: string;
  readonly status: 'INPROGRESS' | 'COMPLETED';
  readonly expiresAtSeconds: number;
  readonly inFlightUntilMs: number | undefined;
  readonly validation: string | undefined;
  readonly data: string | undefined;
}

/** What `begin` found: the record is now ours, or another one holds the id. */
export type BeginOutcome =
  | { readonly begun: true }
  | { readonly begun: false; readonly existing: IdempotencyRecord | undefined };

/**
 * A record may be taken over when there is none, it has expired (DynamoDB's TTL deletes late), or
 * it is still in flight past its mark (the invocation that wrote it ended without finishing).
 */
const TAKE_OVER =
  'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';

/** The table's three writes and one read. Errors are the SDK's own, for the caller to map. */
export class IdempotencyTable {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes `id` in flight until `inFlightUntilMs` with one conditional PutItem, unless another
   * record holds it; that record comes back with the refusal (or, where DynamoDB leaves it out,
   * from one GetItem; undefined when it was deleted in between).
   */
  async begin(
    id: string,
    validation: string,
    expiresAtSeconds: number,
    inFlightUntilMs: number,
    nowMs: number,
  ): Promise<BeginOutcome> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            id: { S: id },
            expiration: { N: String(expiresAtSeconds) },
            status: { S: 'INPROGRESS' },
            in_progress_expiration: { N: String(inFlightUntilMs) },
            validation: { S: validation },
          },
          ConditionExpression: TAKE_OVER,
          ExpressionAttributeNames: {
            '#id': 'id',
            '#expiry': 'expiration',
            '#status': 'status',
            '#in_progress_expiry': 'in_progress_expiration',
          },
          ExpressionAttributeValues: {
            ':now': { N: String(Math.floor(nowMs / 1000)) },
            ':now_in_millis': { N: String(nowMs) },
            ':inprogress': { S: 'INPROGRESS' },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { begun: true };
    } catch (error) {
      if (!isError(error) || error.name !== 'ConditionalCheckFailedException') throw error;
      const returned = Reflect.get(error, 'Item') as Record<string, AttributeValue> | undefined;
      return { begun: false, existing: recordOf(returned ?? (await this.read(id))) };
    }
  }

  /** Stores the answer and the full 24 hours (UpdateItem). */
  async complete(id: string, data: string, expiresAtSeconds: number): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: id } },
        UpdateExpression: 'SET #data = :data, #expiry = :expiry, #status = :status',
        ExpressionAttributeNames: { '#data': 'data', '#expiry': 'expiration', '#status': 'status' },
        ExpressionAttributeValues: {
          ':data': { S: data },
          ':expiry': { N: String(expiresAtSeconds) },
          ':status': { S: 'COMPLETED' },
        },
      }),
    );
  }

  /** Removes the record of work that failed, so that a retry does it again. */
  async release(id: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.tableName, Key: { id: { S: id } } }));
  }

  private async read(id: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    return Item;
  }
}

function recordOf(item: Record<string, AttributeValue> | undefined): IdempotencyRecord | undefined {
  const id = item?.id?.S;
  const status = item?.status?.S;
  if (item === undefined || id === undefined || (status !== 'INPROGRESS' && status !== 'COMPLETED')) {
    return undefined;
  }
  const number = (value: AttributeValue | undefined) =>
    value?.N === undefined ? undefined : Number(value.N);
  return {
    id,
    status,
    expiresAtSeconds: number(item.expiration) ?? 0,
    inFlightUntilMs: number(item.in_progress_expiration),
    validation: item.validation?.S,
    data: item.data?.S,
  };
}
