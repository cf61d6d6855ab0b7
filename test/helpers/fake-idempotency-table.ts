import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  ThrottlingException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory DynamoDB table behind aws-sdk-client-mock, for the four calls
 * lib/idempotency/records.ts makes. It evaluates exactly the conditional PutItem and the `SET`
 * UpdateItem it sends (anything else fails loudly, so a changed write shows up here),
 * atomically per call as DynamoDB does, with the real error shapes of the DynamoDB API reference.
 */

export const dynamoMock = mockClient(DynamoDBClient);

/** The gateway's take-over condition (Powertools' too): no item, an expired item, or an expired in-flight mark. */
const PUT_CONDITION =
  'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';

export type DynamoOperation = 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'GetItem';
type Item = Record<string, AttributeValue>;

/** ThrottlingException as DynamoDB returns it (HTTP 400, retryable as throttling). */
export function dynamoThrottled(): ThrottlingException {
  return new ThrottlingException({
    message: 'Rate of requests exceeds the allowed throughput.',
    $metadata: { httpStatusCode: 400 },
  });
}

export class FakeIdempotencyTable {
  readonly items = new Map<string, Item>();
  readonly calls: DynamoOperation[] = [];
  /** Asked before each call: an error to throw instead of doing it. */
  fault: (operation: DynamoOperation) => Error | undefined = () => undefined;

  /** Resets the mock and routes the four commands here. */
  install(): this {
    dynamoMock.reset();
    dynamoMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => this.put(input));
    dynamoMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => this.update(input));
    dynamoMock.on(DeleteItemCommand).callsFake((input: DeleteItemCommandInput) => this.delete(input));
    dynamoMock.on(GetItemCommand).callsFake((input: GetItemCommandInput) => this.get(input));
    return this;
  }

  private begin(operation: DynamoOperation): void {
    this.calls.push(operation);
    const error = this.fault(operation);
    if (error) throw error;
  }

  private put(input: PutItemCommandInput) {
    this.begin('PutItem');
    if (input.ConditionExpression !== PUT_CONDITION)
      throw new Error(`fake: unexpected condition ${input.ConditionExpression}`);
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const item = input.Item ?? {};
    const key = keyOf(item);
    const existing = this.items.get(key);
    const attribute = (name: string) => existing?.[names[name] ?? ''];
    const number = (value: AttributeValue | undefined) => Number(value?.N ?? Number.NaN);
    const allowed =
      existing === undefined ||
      number(attribute('#expiry')) < number(values[':now']) ||
      (attribute('#status')?.S === values[':inprogress']?.S &&
        attribute('#in_progress_expiry') !== undefined &&
        number(attribute('#in_progress_expiry')) < number(values[':now_in_millis']));
    if (!allowed) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
          ? { Item: structuredClone(existing) }
          : {}),
      });
    }
    this.items.set(key, structuredClone(item));
    return {};
  }

  private update(input: UpdateItemCommandInput) {
    this.begin('UpdateItem');
    const match = /^SET (#\w+ = :\w+(?:, #\w+ = :\w+)*)$/.exec(input.UpdateExpression ?? '');
    if (!match?.[1] || input.ConditionExpression)
      throw new Error(`fake: unexpected update ${input.UpdateExpression}`);
    const key = keyOf(input.Key ?? {});
    const item: Item = { ...(this.items.get(key) ?? structuredClone(input.Key ?? {})) };
    for (const assignment of match[1].split(', ')) {
      const [name = '', value = ''] = assignment.split(' = ');
      const attribute = input.ExpressionAttributeNames?.[name];
      const given = input.ExpressionAttributeValues?.[value];
      if (attribute === undefined || given === undefined) throw new Error(`fake: unbound ${assignment}`);
      item[attribute] = structuredClone(given);
    }
    this.items.set(key, item);
    return {};
  }

  private delete(input: DeleteItemCommandInput) {
    this.begin('DeleteItem');
    this.items.delete(keyOf(input.Key ?? {}));
    return {};
  }

  private get(input: GetItemCommandInput) {
    this.begin('GetItem');
    const item = this.items.get(keyOf(input.Key ?? {}));
    return item === undefined ? {} : { Item: structuredClone(item) };
  }
}

function keyOf(item: Item): string {
  const id = item.id?.S;
  if (id === undefined) throw new Error('fake: the table key is "id" (S)');
  return id;
}
