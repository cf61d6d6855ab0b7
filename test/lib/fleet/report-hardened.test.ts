import 'aws-sdk-client-mock-jest';
import { DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { INSTANCE_CREDENTIALS_OFF_REASON } from '../../../lib/rollout/no-instances';
import {
  batchMock,
  CURRENT,
  credentialSecret,
  dynamoMock,
  ecsMock,
  eventsMock,
  installCredentialSecrets,
  installUnattributedFleet,
  OLD,
  PREFIX,
  resetFleet,
  runReport,
  SECRET_ARN,
  secretsMock,
  TABLE,
} from './fake-fleet';

// The hardened mode (INSTANCE_CREDENTIALS=false): instances read no registry secret and carry no
// secret-version attribute, so instance convergence does not apply; jobs get their registry
// credentials per task from the credential secrets, which is what convergence waits for.

const HARDENED = { instanceCredentials: false, taskCredentials: true } as const;

beforeEach(() => {
  resetFleet();
  installUnattributedFleet({ 'ce-ondemand': 4, 'ce-spot': 2 });
});

describe('fleetReport in the hardened mode', () => {
  it('reports every compute environment not applicable, calling neither Batch nor ECS and publishing no instance metric', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT), credentialSecret('ghcr.io', CURRENT)]);

    const { report, published } = runReport(['ce-ondemand', 'ce-spot'], HARDENED);
    const result = await report;

    expect(result).toMatchObject({
      instanceCredentials: false,
      computeEnvironments: [],
      notApplicable: [
        { name: 'ce-ondemand', reason: INSTANCE_CREDENTIALS_OFF_REASON },
        { name: 'ce-spot', reason: INSTANCE_CREDENTIALS_OFF_REASON },
      ],
      skipped: [],
      instances: 0,
      stale: 0,
      unknown: 0,
      credentialSecrets: { current: 2, stale: [] },
      converged: true,
    });
    expect(published).toEqual([]);
    expect(ecsMock.calls()).toHaveLength(0);
    expect(batchMock).not.toHaveReceivedCommand(DescribeComputeEnvironmentsCommand);
    expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
    expect(secretsMock).toHaveReceivedCommandWith(ListSecretsCommand, {
      Filters: [{ Key: 'name', Values: [PREFIX] }],
      IncludePlannedDeletion: true,
    });
  });

  it('announces convergence once the credential secrets carry the version, naming why no instance was counted', async () => {
    installCredentialSecrets([
      credentialSecret('docker.io', CURRENT),
      credentialSecret('quay.io', OLD, true), // its registry left the secret: scheduled for deletion
    ]);

    const result = await runReport(['ce-ondemand', 'ce-spot'], HARDENED).report;

    expect(result.announcement).toBe('sent');
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ DetailType: 'Registry Credentials Converged', EventBusName: 'ops-bus' });
    expect(JSON.parse(entry?.Detail ?? '')).toEqual({
      secretArn: SECRET_ARN,
      secretVersionId: CURRENT,
      computeEnvironments: [],
      instances: 0,
      notApplicable: [
        { name: 'ce-ondemand', reason: INSTANCE_CREDENTIALS_OFF_REASON },
        { name: 'ce-spot', reason: INSTANCE_CREDENTIALS_OFF_REASON },
      ],
      credentialSecrets: 1,
    });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ id: { S: `converged#${SECRET_ARN}#${CURRENT}` } }),
    });
  });

  it('does not announce while a credential secret still carries an older version (a rollout did not finish)', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT), credentialSecret('ghcr.io', OLD)]);

    const { report, published, logged } = runReport(['ce-ondemand', 'ce-spot'], HARDENED);
    const result = await report;

    expect(result).toMatchObject({
      converged: false,
      credentialSecrets: { current: 1, stale: [`${PREFIX}ghcr.io`] },
    });
    expect(result.announcement).toBeUndefined();
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
    expect(published).toEqual([]);
    expect(logged[0]).toMatchObject({
      instanceCredentials: false,
      converged: false,
      notApplicable: [{ name: 'ce-ondemand' }, { name: 'ce-spot' }],
      credentialSecrets: { current: 1, stale: [`${PREFIX}ghcr.io`] },
    });
  });

  it('reads every page of credential secrets', async () => {
    const registries = Array.from({ length: 130 }, (_, i) => `registry-${i}.example.com`);
    installCredentialSecrets([
      ...registries.map((registry) => credentialSecret(registry, CURRENT)),
      credentialSecret('zz.example.com', OLD),
    ]);

    const result = await runReport(['ce-ondemand'], HARDENED).report;

    expect(secretsMock).toHaveReceivedCommandTimes(ListSecretsCommand, 2);
    expect(secretsMock).toHaveReceivedCommandWith(ListSecretsCommand, { NextToken: 'secrets-100' });
    expect(result).toMatchObject({
      credentialSecrets: { current: 130, stale: [`${PREFIX}zz.example.com`] },
      converged: false,
    });
  });
});
