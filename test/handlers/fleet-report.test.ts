import 'aws-sdk-client-mock-jest';
import { DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { loadEvent } from '../fixtures/events/load';
import { captureEmf } from '../helpers/capture-emf';
import {
  batchMock,
  CURRENT,
  credentialSecret,
  ecsMock,
  eventsMock,
  installCredentialSecrets,
  installUnattributedFleet,
  OLD,
  PREFIX,
  resetFleet,
  SECRET_ARN,
  secretsMock,
} from '../lib/fleet/fake-fleet';

// The composition root in the hardened mode: INSTANCE_CREDENTIALS, TASK_CREDENTIALS and
// REGISTRY_SECRET_PREFIX reach the report, and the metrics are the EMF lines Lambda would write.
// (The default mode's handler runs against moto in test/integration/fleet-report.test.ts.)

const context = { functionName: 'fleetReport', awsRequestId: 'req-fleet' } as Context;
const savedEnv = { ...process.env };
let handler: (event: unknown, context: Context) => Promise<void>;

/** Runs the handler once, returning the EMF documents it wrote to stdout. */
const runHandler = () => captureEmf(() => handler(loadEvent('scheduledEvent'), context));

beforeAll(async () => {
  Object.assign(process.env, {
    REGISTRY_SECRET_ARN: SECRET_ARN,
    COMPUTE_ENVIRONMENTS: 'ce-ondemand',
    CONVERGENCE_TABLE: 'brg-test-convergence',
    REGISTRY_SECRET_PREFIX: PREFIX,
    INSTANCE_CREDENTIALS: 'false',
    TASK_CREDENTIALS: 'true',
    STAGE: 'test',
    AWS_REGION: 'us-east-1',
    // This suite reads the EMF lines that test/helpers/setup.ts turns off.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  ({ handler } = await import('../../handlers/fleet-report'));
});

afterAll(() => {
  process.env = savedEnv;
});

beforeEach(() => {
  resetFleet();
  installUnattributedFleet({ 'ce-ondemand': 3 });
});

describe('fleet-report handler, INSTANCE_CREDENTIALS=false', () => {
  it('counts no instance and publishes no instance metric, calling neither ECS nor Batch', async () => {
    installCredentialSecrets([credentialSecret('docker.io', OLD)]);

    const documents = await runHandler();

    expect(documents).toEqual([]);
    expect(ecsMock.calls()).toHaveLength(0);
    expect(batchMock).not.toHaveReceivedCommand(DescribeComputeEnvironmentsCommand);
    expect(secretsMock).toHaveReceivedCommandWith(ListSecretsCommand, {
      Filters: [{ Key: 'name', Values: [PREFIX] }],
    });
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('announces convergence once the registry credential secrets carry AWSCURRENT', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT)]);

    await runHandler();

    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });
});
