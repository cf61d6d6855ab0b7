import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * Creates the Idempotency-Key table in an emulator as serverless.yml declares it (the
 * layout of lib/idempotency/records.ts: key `id`, TTL on `expiration`, on-demand) and returns its name.
 */
export async function createIdempotencyTable(
  client: { endpoint: string; region: string },
  name: string,
): Promise<string> {
  const dynamodb = new DynamoDBClient(client);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    }),
  );
  dynamodb.destroy();
  return name;
}
