import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, type EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { type ECSClient, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';

// What the fleetReport suites against moto create alike: where the handler records and announces
// convergence, and an ECS container instance as an agent registers it.

/** An SDK client configuration for moto (endpoint, region, credentials). */
export interface MotoSdkConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface ConvergenceTargets {
  /** The convergence table (CONVERGENCE_TABLE). */
  readonly table: string;
  /** The EventBridge rule on the default bus that matches the announcement. */
  readonly rule: string;
  /** The CloudWatch Logs group the rule delivers to. */
  readonly logGroup: string;
}

/** An announcement as the rule delivers it to the log group. */
export interface DeliveredEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
}

/**
 * Creates in moto where fleetReport records and announces convergence: the table (key `id`, on
 * demand) and an EventBridge rule delivering "Registry Credentials Converged" events from
 * batch-registry-gateway to a CloudWatch Logs group.
 */
export async function provisionConvergence(
  config: MotoSdkConfig,
  targets: ConvergenceTargets,
): Promise<void> {
  const dynamodb = new DynamoDBClient(config);
  const logs = new CloudWatchLogsClient(config);
  const events = new EventBridgeClient(config);
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: targets.table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await logs.send(new CreateLogGroupCommand({ logGroupName: targets.logGroup }));
    await events.send(
      new PutRuleCommand({
        Name: targets.rule,
        EventPattern: JSON.stringify({
          source: ['batch-registry-gateway'],
          'detail-type': ['Registry Credentials Converged'],
        }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: targets.rule,
        Targets: [
          { Id: 'log', Arn: `arn:aws:logs:${config.region}:123456789012:log-group:${targets.logGroup}` },
        ],
      }),
    );
  } finally {
    for (const client of [dynamodb, logs, events]) client.destroy();
  }
}

/** The events the rule has delivered to `logGroup` so far. */
export async function deliveredEvents(
  logs: CloudWatchLogsClient,
  logGroup: string,
): Promise<DeliveredEvent[]> {
  const found = await logs.send(new FilterLogEventsCommand({ logGroupName: logGroup }));
  return (found.events ?? []).map((event) => JSON.parse(event.message ?? '{}') as DeliveredEvent);
}

/**
 * Starts an EC2 instance from moto's first image and registers it with the ECS `cluster` as the
 * agent does at boot, with no attribute (so no secret-version). Returns the instance id.
 */
export async function registerContainerInstance(
  clients: { readonly ec2: EC2Client; readonly ecs: ECSClient },
  cluster: string,
  region: string,
): Promise<string> {
  const images = await clients.ec2.send(new DescribeImagesCommand({}));
  const reservation = await clients.ec2.send(
    new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId ?? '', MinCount: 1, MaxCount: 1 }),
  );
  const instanceId = reservation.Instances?.[0]?.InstanceId ?? '';
  await clients.ecs.send(
    new RegisterContainerInstanceCommand({
      cluster,
      instanceIdentityDocument: JSON.stringify({ instanceId, region }),
    }),
  );
  return instanceId;
}
