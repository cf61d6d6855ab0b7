import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ECSClient, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { INSTANCE_CREDENTIALS_OFF_REASON } from '../../lib/rollout/no-instances';
import { type RunningMoto, startMoto } from '../../scripts/servers/moto';
import { provisionBatchFleet } from '../../scripts/servers/moto-fleet';

// fleetReport in the hardened mode (INSTANCE_CREDENTIALS=false) against moto: the real handler,
// an instance registered without the secret-version attribute (as the hardened boot leaves it),
// a registry credential secret with the rollout's tags, DynamoDB's conditional write and
// EventBridge delivering to a CloudWatch Logs group.

jest.setTimeout(120000);

const REGION = 'us-east-1';
const TABLE = 'brg-fleet-hardened-convergence';
const LOG_GROUP = '/aws/events/brg-hardened-converged';
const PREFIX = 'batch-registry-gateway/integration/registry/';
const context = { functionName: 'fleetReport', awsRequestId: 'integration-hardened' } as Context;
const savedEnv = { ...process.env };

let moto: RunningMoto;
let secrets: SecretsManagerClient;
let logs: CloudWatchLogsClient;
let secretArn: string;
let firstVersion: string;
let credentialSecretArn: string;
let handler: (event: unknown, context: Context) => Promise<void>;

async function deliveredEvents(): Promise<Array<{ 'detail-type': string; detail: Record<string, unknown> }>> {
  const found = await logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP }));
  return (found.events ?? []).map((event) => JSON.parse(event.message ?? '{}'));
}

/** Runs the handler once, returning the EMF documents it wrote to stdout. */
async function runHandler(): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, context);
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  moto = await startMoto({ region: REGION });
  const config = {
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  secrets = new SecretsManagerClient(config);
  logs = new CloudWatchLogsClient(config);
  const created = await secrets.send(
    new CreateSecretCommand({ Name: 'brg-hardened', SecretString: '{"username":"u","password":"p"}' }),
  );
  secretArn = created.ARN ?? '';
  firstVersion = created.VersionId ?? '';
  // The rollout of the first version wrote the registry's credential secret.
  const credential = await secrets.send(
    new CreateSecretCommand({
      Name: `${PREFIX}docker.io`,
      SecretString: '{"username":"u","password":"p"}',
      Tags: [
        { Key: 'batch-registry-gateway:registry', Value: 'docker.io' },
        { Key: 'batch-registry-gateway:source-version', Value: firstVersion },
      ],
    }),
  );
  credentialSecretArn = credential.ARN ?? '';

  await provisionBatchFleet({ endpoint: moto.endpoint, region: REGION }, { name: 'brg-hardened' });
  const batch = new BatchClient(config);
  const ec2 = new EC2Client(config);
  const ecs = new ECSClient(config);
  const described = await batch.send(
    new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['brg-hardened'] }),
  );
  const images = await ec2.send(new DescribeImagesCommand({}));
  const reservation = await ec2.send(
    new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId ?? '', MinCount: 1, MaxCount: 1 }),
  );
  await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster: described.computeEnvironments?.[0]?.ecsClusterArn ?? '',
      instanceIdentityDocument: JSON.stringify({
        instanceId: reservation.Instances?.[0]?.InstanceId ?? '',
        region: REGION,
      }),
    }),
  );
  const dynamodb = new DynamoDBClient(config);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  const events = new EventBridgeClient(config);
  await events.send(
    new PutRuleCommand({
      Name: 'brg-hardened-converged',
      EventPattern: JSON.stringify({
        source: ['batch-registry-gateway'],
        'detail-type': ['Registry Credentials Converged'],
      }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'brg-hardened-converged',
      Targets: [{ Id: 'log', Arn: `arn:aws:logs:${REGION}:123456789012:log-group:${LOG_GROUP}` }],
    }),
  );
  for (const client of [batch, ec2, ecs, dynamodb, events]) client.destroy();

  Object.assign(process.env, moto.env, {
    REGISTRY_SECRET_ARN: secretArn,
    COMPUTE_ENVIRONMENTS: 'brg-hardened',
    CONVERGENCE_TABLE: TABLE,
    INSTANCE_CREDENTIALS: 'false',
    TASK_CREDENTIALS: 'true',
    REGISTRY_SECRET_PREFIX: PREFIX,
    STAGE: 'integration',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  ({ handler } = await import('../../handlers/fleet-report'));
});

afterAll(async () => {
  process.env = savedEnv;
  secrets?.destroy();
  logs?.destroy();
  await moto?.stop();
});

describe('fleetReport against moto, INSTANCE_CREDENTIALS=false', () => {
  it('waits for the credential secret after a new version, never for the unattributed instance', async () => {
    const put = await secrets.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"username":"u2","password":"p2"}' }),
    );
    const newVersion = put.VersionId ?? '';

    const beforeRollout = await runHandler();
    const undelivered = await deliveredEvents();
    // The rollout of the new version writes the value, then the tag.
    await secrets.send(
      new TagResourceCommand({
        SecretId: credentialSecretArn,
        Tags: [{ Key: 'batch-registry-gateway:source-version', Value: newVersion }],
      }),
    );
    const afterRollout = await runHandler();

    expect(beforeRollout).toEqual([]);
    expect(undelivered).toEqual([]);
    expect(afterRollout).toEqual([]);
    const delivered = await deliveredEvents();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      'detail-type': 'Registry Credentials Converged',
      detail: {
        secretArn,
        secretVersionId: newVersion,
        computeEnvironments: [],
        instances: 0,
        notApplicable: [{ name: 'brg-hardened', reason: INSTANCE_CREDENTIALS_OFF_REASON }],
        credentialSecrets: 1,
      },
    });
  });
});
