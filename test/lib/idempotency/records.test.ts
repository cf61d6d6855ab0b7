import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { IdempotentRequests } from '../../../lib/idempotency/idempotent';
import { IdempotencyTable } from '../../../lib/idempotency/records';

// The table's calls with aws-sdk-client-mock and DynamoDB's own error shapes; the HTTP behaviour
// is in test/handlers/submit-job-idempotency.test.ts.

const dynamo = mockClient(DynamoDBClient);
const table = () => new IdempotencyTable(new DynamoDBClient({ region: 'us-east-1' }), 'brg-test-idempotency');
const NOW = Date.UTC(2026, 11, 1, 12);

function refused(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item === undefined ? {} : { Item: item as never }),
  });
}

const completed = (data: string, validation: string) => ({
  id: { S: 'POST /jobs#x' },
  status: { S: 'COMPLETED' },
  expiration: { N: String(NOW / 1000 + 100) },
  validation: { S: validation },
  data: { S: data },
});

beforeEach(() => dynamo.reset());

describe('IdempotencyTable.begin', () => {
  it('writes the in-flight record with one conditional PutItem that returns the old item when refused', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await expect(table().begin('POST /jobs#a', 'v', 2_000, 1_500_000, 1_000_000)).resolves.toEqual({
      begun: true,
    });
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.Item).toEqual({
      id: { S: 'POST /jobs#a' },
      expiration: { N: '2000' },
      status: { S: 'INPROGRESS' },
      in_progress_expiration: { N: '1500000' },
      validation: { S: 'v' },
    });
    expect(input?.ConditionExpression).toContain('attribute_not_exists(#id)');
    expect(input?.ExpressionAttributeValues).toEqual({
      ':now': { N: '1000' },
      ':now_in_millis': { N: '1000000' },
      ':inprogress': { S: 'INPROGRESS' },
    });
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('reads the record that holds the id from the refusal, without another call', async () => {
    dynamo.on(PutItemCommand).rejects(refused(completed('{"jobId":"j"}', 'v')));
    const outcome = await table().begin('POST /jobs#x', 'v', 2, 3, 1);
    expect(outcome).toEqual({
      begun: false,
      existing: expect.objectContaining({ status: 'COMPLETED', data: '{"jobId":"j"}', validation: 'v' }),
    });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('reads it with a consistent GetItem when the refusal carries no item', async () => {
    dynamo.on(PutItemCommand).rejects(refused());
    dynamo.on(GetItemCommand).resolves({ Item: completed('{}', 'v') });
    const outcome = await table().begin('POST /jobs#x', 'v', 2, 3, 1);
    expect(outcome.begun).toBe(false);
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('says no record when it was deleted between the refusal and the read', async () => {
    dynamo.on(PutItemCommand).rejects(refused());
    dynamo.on(GetItemCommand).resolves({});
    await expect(table().begin('POST /jobs#x', 'v', 2, 3, 1)).resolves.toEqual({
      begun: false,
      existing: undefined,
    });
  });

  it('passes any other error on unchanged', async () => {
    const error = Object.assign(new Error('Requested resource not found'), {
      name: 'ResourceNotFoundException',
    });
    dynamo.on(PutItemCommand).rejects(error);
    await expect(table().begin('POST /jobs#x', 'v', 2, 3, 1)).rejects.toBe(error);
  });
});

describe('IdempotentRequests over records it did not write', () => {
  const requests = () => new IdempotentRequests(table(), 30_000, () => NOW);
  const scope = { ownerKey: 'arn:aws:iam::123456789012:role/caller', key: 'k-1' };
  const work = jest.fn(async () => ({ jobId: 'new' }));

  beforeEach(() => work.mockClear());

  it('answers 422 for another body even while the first request is still in flight', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(refused({ id: { S: 'x' }, status: { S: 'INPROGRESS' }, validation: { S: 'another body' } }));
    await expect(requests().run(scope, { image: 'a' }, undefined, work)).rejects.toMatchObject({
      statusCode: 422,
    });
    expect(work).not.toHaveBeenCalled();
  });

  it('answers 409 with Retry-After when the record vanished before it could be read', async () => {
    dynamo.on(PutItemCommand).rejects(refused());
    dynamo.on(GetItemCommand).resolves({});
    await expect(requests().run(scope, {}, undefined, work)).rejects.toMatchObject({
      statusCode: 409,
      headers: { 'retry-after': '1' },
    });
    expect(work).not.toHaveBeenCalled();
  });

  it('answers 502 without the stored text when a completed record holds no readable answer', async () => {
    const body = { image: 'a' };
    dynamo.on(PutItemCommand).resolvesOnce({});
    dynamo.on(UpdateItemCommand).resolves({});
    await requests().run(scope, body, undefined, work);
    const written = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.validation?.S ?? '';
    dynamo.on(PutItemCommand).rejects(refused(completed('{"jobId": "tr', written)));
    const failure = requests().run(scope, body, undefined, work);
    await expect(failure).rejects.toMatchObject({ statusCode: 502 });
    await expect(failure).rejects.not.toThrow(/jobId|tr/);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('keeps neither the key nor the owner in the record id', async () => {
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    await requests().run(scope, {}, undefined, work);
    const id = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.id?.S ?? '';
    expect(id).toMatch(/^POST \/jobs#[A-Za-z0-9+/]{43}=$/);
    expect(id).not.toContain('k-1');
    expect(id).not.toContain('caller');
  });
});
