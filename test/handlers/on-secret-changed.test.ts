import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { FIXTURE_SECRET, loadEvent } from '../fixtures/events/load';

jest.mock('../../lib/rollout/user-data', () => ({
  renderUserData: () => 'Content-Type: multipart/mixed; boundary="x"\n\n--x--\n',
}));
const login = jest.fn();
jest.mock('../../lib/registry/client', () => {
  const actual = jest.requireActual<typeof import('../../lib/registry/client')>('../../lib/registry/client');
  return { ...actual, RegistryClient: jest.fn(() => ({ login })) };
});

const secretsMock = mockClient(SecretsManagerClient);
const ec2Mock = mockClient(EC2Client);
const batchMock = mockClient(BatchClient);
const CURRENT = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const LT_ID = 'lt-0abcd1234ef567890';
const context = { functionName: 'onSecretChanged', awsRequestId: 'req-2' } as Context;

async function loadHandler() {
  process.env.REGISTRY_SECRET_ARN = FIXTURE_SECRET.name;
  process.env.LAUNCH_TEMPLATE_ID = LT_ID;
  process.env.COMPUTE_ENVIRONMENTS = 'ce-ondemand';
  process.env.AWS_REGION = 'us-east-1';
  return import('../../handlers/on-secret-changed');
}

describe('on-secret-changed handler', () => {
  beforeEach(() => {
    secretsMock.reset();
    ec2Mock.reset();
    batchMock.reset();
    login.mockReset().mockResolvedValue(undefined);
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      Name: FIXTURE_SECRET.name,
      VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'] },
    });
    secretsMock.on(GetSecretValueCommand).resolves({
      ARN: FIXTURE_SECRET.arn,
      VersionId: CURRENT,
      SecretString: JSON.stringify({ username: 'bot', password: 'hub-SECRET' }),
      VersionStages: ['AWSCURRENT'],
    });
    ec2Mock.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        { LaunchTemplateId: LT_ID, LaunchTemplateName: 'brg', VersionNumber: 1, DefaultVersion: true },
      ],
    });
    ec2Mock.on(CreateLaunchTemplateVersionCommand).resolves({
      LaunchTemplateVersion: { LaunchTemplateId: LT_ID, LaunchTemplateName: 'brg', VersionNumber: 2 },
    });
    ec2Mock.on(ModifyLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateId: LT_ID } });
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [
        {
          computeEnvironmentName: 'ce-ondemand',
          computeEnvironmentArn: 'arn:aws:batch:us-east-1:123456789012:compute-environment/ce-ondemand',
          type: 'MANAGED',
          status: 'VALID',
          state: 'ENABLED',
          serviceRole:
            'arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch',
          computeResources: {
            type: 'EC2',
            allocationStrategy: 'BEST_FIT_PROGRESSIVE',
            maxvCpus: 16,
            subnets: ['subnet-0a1b2c3d4e5f60718'],
            launchTemplate: { launchTemplateId: LT_ID, version: '1' },
          },
        },
      ],
    });
    batchMock.on(UpdateComputeEnvironmentCommand).resolves({ computeEnvironmentName: 'ce-ondemand' });
    // TASK_CREDENTIALS defaults to true: the registry credential secrets (SPEC §11), none yet.
    secretsMock.on(ListSecretsCommand).resolves({ SecretList: [] });
    secretsMock.on(CreateSecretCommand).callsFake((input) => ({
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.Name}-AbCdEf`,
      Name: input.Name,
      VersionId: input.ClientRequestToken,
    }));
  });

  it('rolls the current version out to the fleet on a Secret Label Updated event', async () => {
    const { handler } = await loadHandler();

    await handler(loadEvent('secretLabelUpdated'), context);

    expect(login).toHaveBeenCalledWith(expect.objectContaining({ name: 'docker.io' }), expect.anything());
    expect(secretsMock).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: 'batch-registry-gateway/registry-credentials/docker.io',
      SecretString: JSON.stringify({ username: 'bot', password: 'hub-SECRET' }),
    });
    expect(batchMock).toHaveReceivedCommandWith(UpdateComputeEnvironmentCommand, {
      computeResources: { launchTemplate: { launchTemplateId: LT_ID, version: '2' } },
      updatePolicy: { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 },
    });
  });

  it('ignores an event for another secret without touching EC2 or Batch', async () => {
    const { handler } = await loadHandler();
    const event = loadEvent<{ resources: string[]; detail: { name: string } }>('secretLabelUpdated');
    event.resources = ['arn:aws:secretsmanager:us-east-1:123456789012:secret:payments-db-Zx9Yw8'];
    event.detail.name = 'payments-db';

    await handler(event, context);

    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock.calls()).toHaveLength(0);
  });

  it('throws when the rollout fails, so the event is retried and dead-lettered', async () => {
    const { handler } = await loadHandler();
    batchMock.on(UpdateComputeEnvironmentCommand).rejects(new Error('Batch is unavailable'));

    await expect(handler(loadEvent('putSecretValue'), context)).rejects.toThrow('ce-ondemand failed');
  });
});
