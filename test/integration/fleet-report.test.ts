import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';
import { captureEmf } from '../helpers/capture-emf';
import {
  deliveredEvents,
  provisionConvergence,
  registerContainerInstance,
} from '../helpers/convergence-moto';

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

/** Runs the handler `times` times at once, returning the EMF documents written to stdout meanwhile. */
function runHandler(times = 1): Promise<Array<Record<string, unknown>>> {
  const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
  return captureEmf(() => Promise.all(Array.from({ length: times }, () => handler(event, context))));
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
  await provisionConvergence(config, { table: TABLE, rule: 'brg-converged', logGroup: LOG_GROUP });

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

    const delivered = await deliveredEvents(clients.logs, LOG_GROUP);
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
    await registerContainerInstance(clients, clusterArn, REGION);
    const listed = await clients.ecs.send(new ListContainerInstancesCommand({ cluster: clusterArn }));
    await clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"username":"u2","password":"p2"}' }),
    );

    const [document] = await runHandler();

    expect(listed.containerInstanceArns).toHaveLength(1);
    expect(document).toMatchObject({ InstancesCurrent: 0, InstancesStale: 0, InstancesUnknown: 1 });
    expect(await deliveredEvents(clients.logs, LOG_GROUP)).toHaveLength(1);
  });
});
