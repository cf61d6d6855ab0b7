import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  ECSClient,
  ListContainerInstancesCommand,
  RegisterContainerInstanceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';

// fleetReport end to end against moto: the real handler (config and clients at import), Batch's
// compute environment and its ECS cluster, DynamoDB's conditional write and EventBridge delivering
// to a CloudWatch Logs group. moto's ListAttributes answers nothing for a name without a value
// (/work/shared/MOTO.md), so attributed instances are covered by test/lib/fleet with ECS's shapes.

jest.setTimeout(120000);

const REGION = 'us-east-1';
const TABLE = 'brg-fleet-convergence';
const LOG_GROUP = '/aws/events/brg-converged';
const context = { functionName: 'fleetReport', awsRequestId: 'integration' } as Context;
const savedEnv = { ...process.env };

let moto: RunningMoto;
let clients: {
  secretsManager: SecretsManagerClient;
  ec2: EC2Client;
  ecs: ECSClient;
  batch: BatchClient;
  logs: CloudWatchLogsClient;
  dynamodb: DynamoDBClient;
};
let secretArn: string;
let firstVersion: string;
let clusterArn: string;
let handler: (event: unknown, context: Context) => Promise<void>;

async function deliveredEvents(): Promise<Array<{ 'detail-type': string; source: string; detail: unknown }>> {
  const found = await clients.logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP }));
  return (found.events ?? []).map((event) => JSON.parse(event.message ?? '{}'));
}

/** Runs the handler `times` times at once, returning the EMF documents written to stdout meanwhile. */
async function runHandler(times = 1): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
  try {
    await Promise.all(Array.from({ length: times }, () => handler(event, context)));
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  // This suite reads the EMF lines that test/helpers/setup.ts turns off.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  moto = await startMoto({ region: REGION });
  const config = {
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  clients = {
    secretsManager: new SecretsManagerClient(config),
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    batch: new BatchClient(config),
    logs: new CloudWatchLogsClient(config),
    dynamodb: new DynamoDBClient(config),
  };
  const created = await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: 'brg-registry-credentials',
      SecretString: '{"username":"u","password":"p"}',
    }),
  );
  secretArn = created.ARN ?? '';
  firstVersion = created.VersionId ?? '';
  await provisionBatchFleet({ endpoint: moto.endpoint, region: REGION }, { name: 'brg-fleet' });
  const described = await clients.batch.send(
    new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['brg-fleet'] }),
  );
  clusterArn = described.computeEnvironments?.[0]?.ecsClusterArn ?? '';
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  const events = new EventBridgeClient(config);
  await events.send(
    new PutRuleCommand({
      Name: 'brg-converged',
      EventPattern: JSON.stringify({
        source: ['batch-registry-gateway'],
        'detail-type': ['Registry Credentials Converged'],
      }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'brg-converged',
      Targets: [{ Id: 'log', Arn: `arn:aws:logs:${REGION}:123456789012:log-group:${LOG_GROUP}` }],
    }),
  );
  events.destroy();

  Object.assign(process.env, moto.env, {
    REGISTRY_SECRET_ARN: secretArn,
    COMPUTE_ENVIRONMENTS: 'brg-fleet',
    CONVERGENCE_TABLE: TABLE,
    STAGE: 'integration',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  ({ handler } = await import('../../handlers/fleet-report'));
});

afterAll(async () => {
  process.env = savedEnv;
  for (const client of Object.values(clients ?? {})) client.destroy();
  await moto?.stop();
});

describe('fleetReport against moto', () => {
  it('finds the compute environment has an ECS cluster', () => {
    expect(clusterArn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:cluster\//);
  });

  it('announces a fleet of zero instances as converged exactly once, however many runs overlap', async () => {
    const overlapping = await runHandler(3);
    const later = await runHandler();

    const delivered = await deliveredEvents();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      source: 'batch-registry-gateway',
      'detail-type': 'Registry Credentials Converged',
      detail: {
        secretArn,
        secretVersionId: firstVersion,
        computeEnvironments: [{ name: 'brg-fleet', current: 0, stale: 0, unknown: 0 }],
        instances: 0,
      },
    });
    const record = await clients.dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: { id: { S: `converged#${secretArn}#${firstVersion}` } } }),
    );
    expect(record.Item?.status).toEqual({ S: 'sent' });
    expect([...overlapping, ...later]).toHaveLength(4);
    for (const document of [...overlapping, ...later]) {
      expect(document).toMatchObject({
        service: 'batch-registry-gateway',
        stage: 'integration',
        InstancesCurrent: 0,
        InstancesStale: 0,
        InstancesUnknown: 0,
      });
    }
  });

  it('does not announce a new version while a registered instance has not reported one', async () => {
    const images = await clients.ec2.send(new DescribeImagesCommand({}));
    const reservation = await clients.ec2.send(
      new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId ?? '', MinCount: 1, MaxCount: 1 }),
    );
    const instanceId = reservation.Instances?.[0]?.InstanceId ?? '';
    await clients.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: clusterArn,
        instanceIdentityDocument: JSON.stringify({ instanceId, region: REGION }),
      }),
    );
    const listed = await clients.ecs.send(new ListContainerInstancesCommand({ cluster: clusterArn }));
    await clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"username":"u2","password":"p2"}' }),
    );

    const [document] = await runHandler();

    expect(listed.containerInstanceArns).toHaveLength(1);
    expect(document).toMatchObject({ InstancesCurrent: 0, InstancesStale: 0, InstancesUnknown: 1 });
    expect(await deliveredEvents()).toHaveLength(1);
  });
});
