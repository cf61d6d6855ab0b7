import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
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
import { captureEmf } from '../helpers/capture-emf';
import {
  deliveredEvents,
  provisionConvergence,
  registerContainerInstance,
} from '../helpers/convergence-moto';

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

/** Runs the handler once, returning the EMF documents it wrote to stdout. */
const runHandler = () =>
  captureEmf(() => handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, context));

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
  await registerContainerInstance(
    { ec2, ecs },
    described.computeEnvironments?.[0]?.ecsClusterArn ?? '',
    REGION,
  );
  await provisionConvergence(config, { table: TABLE, rule: 'brg-hardened-converged', logGroup: LOG_GROUP });
  for (const client of [batch, ec2, ecs]) client.destroy();

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
    const undelivered = await deliveredEvents(logs, LOG_GROUP);
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
    const delivered = await deliveredEvents(logs, LOG_GROUP);
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
