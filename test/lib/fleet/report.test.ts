import 'aws-sdk-client-mock-jest';
import { DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ListAttributesCommand, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import {
  batchMock,
  CURRENT,
  clusterArn,
  credentialSecret,
  dynamoMock,
  ec2ComputeEnvironment,
  ecsMock,
  eventsMock,
  installCredentialSecrets,
  installFleet,
  instancesOn,
  OLD,
  resetFleet,
  runReport as run,
  SECRET_ARN,
  secretsMock,
  TABLE,
} from './fake-fleet';

beforeEach(resetFleet);

describe('fleetReport', () => {
  it('counts every page of attributes and instances, with calls per page, never per instance', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], {
      'ce-a': [
        ...instancesOn('cur', 150, CURRENT),
        ...instancesOn('old', 60, OLD),
        ...instancesOn('new', 40, undefined),
        ...instancesOn('drain', 5, OLD, 'DRAINING'),
      ],
    });

    const { report, published } = run(['ce-a']);
    const result = await report;

    expect(result).toMatchObject({
      secretVersionId: CURRENT,
      instances: 255,
      current: 150,
      stale: 65,
      unknown: 40,
      converged: false,
    });
    expect(result.computeEnvironments[0]?.versions).toEqual({ [CURRENT]: 150, [OLD]: 65 });
    expect(published).toEqual([{ InstancesCurrent: 150, InstancesStale: 65, InstancesUnknown: 40 }]);
    // 215 attributes: 3 pages; 250 ACTIVE: 3 pages; 5 DRAINING: 1 page.
    expect(ecsMock).toHaveReceivedCommandTimes(ListAttributesCommand, 3);
    expect(ecsMock).toHaveReceivedCommandTimes(ListContainerInstancesCommand, 4);
    expect(ecsMock).toHaveReceivedCommandWith(ListAttributesCommand, {
      cluster: clusterArn('ce-a'),
      targetType: 'container-instance',
      attributeName: 'batch-registry-gateway.secret-version',
      nextToken: 'page-200',
    });
    expect(ecsMock).toHaveReceivedCommandWith(ListContainerInstancesCommand, {
      cluster: clusterArn('ce-a'),
      status: 'DRAINING',
    });
    expect(secretsMock).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeComputeEnvironmentsCommand, 1);
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('reads every compute environment concurrently, on its own cluster, and totals the counts', async () => {
    installFleet([ec2ComputeEnvironment('ce-a'), ec2ComputeEnvironment('ce-b')], {
      'ce-a': instancesOn('a', 3, CURRENT),
      'ce-b': [...instancesOn('b', 2, CURRENT), ...instancesOn('b-old', 1, OLD)],
    });
    let inFlight = 0;
    let most = 0;
    ecsMock.on(ListContainerInstancesCommand, { status: 'DRAINING' }).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return { containerInstanceArns: [] };
    });

    const result = await run(['ce-a', 'ce-b']).report;

    expect(most).toBe(2);
    expect(
      result.computeEnvironments.map(({ name, current, stale, unknown }) => [name, current, stale, unknown]),
    ).toEqual([
      ['ce-a', 3, 0, 0],
      ['ce-b', 2, 1, 0],
    ]);
    expect(result).toMatchObject({ instances: 6, current: 5, stale: 1, unknown: 0 });
  });

  it('reports Fargate compute environments not applicable and names a missing one, counting the rest', async () => {
    const fargate = {
      ...ec2ComputeEnvironment('ce-fargate'),
      computeResources: { type: 'FARGATE' as const, maxvCpus: 16, subnets: ['subnet-0a1b2c3d'] },
    };
    installFleet([ec2ComputeEnvironment('ce-a'), fargate], { 'ce-a': instancesOn('a', 2, CURRENT) });

    const result = await run(['ce-a', 'ce-fargate', 'ce-gone']).report;

    expect(result.notApplicable).toEqual([
      {
        name: 'ce-fargate',
        reason: 'it is a Fargate compute environment: no instances; jobs get registry credentials per task',
      },
    ]);
    expect(result.skipped).toEqual([{ name: 'ce-gone', reason: 'no such compute environment' }]);
    expect(result).toMatchObject({ instances: 2, current: 2, converged: true });
    expect(ecsMock).not.toHaveReceivedCommandWith(ListContainerInstancesCommand, {
      cluster: clusterArn('ce-fargate'),
    });
  });

  it('announces convergence with the detail of SPEC §12 and records it with a conditional write', async () => {
    installFleet([ec2ComputeEnvironment('ce-a'), ec2ComputeEnvironment('ce-b')], {
      'ce-a': instancesOn('a', 3, CURRENT),
      'ce-b': [],
    });
    installCredentialSecrets([credentialSecret('docker.io', CURRENT), credentialSecret('ghcr.io', CURRENT)]);

    const result = await run(['ce-a', 'ce-b']).report;

    expect(result.announcement).toBe('sent');
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      Source: 'batch-registry-gateway',
      DetailType: 'Registry Credentials Converged',
      EventBusName: 'ops-bus',
    });
    expect(JSON.parse(entry?.Detail ?? '')).toEqual({
      secretArn: SECRET_ARN,
      secretVersionId: CURRENT,
      computeEnvironments: [
        { name: 'ce-a', current: 3, stale: 0, unknown: 0 },
        { name: 'ce-b', current: 0, stale: 0, unknown: 0 },
      ],
      instances: 3,
      notApplicable: [],
      credentialSecrets: 2,
    });
    const put = dynamoMock.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: TABLE,
      Item: { id: { S: `converged#${SECRET_ARN}#${CURRENT}` }, status: { S: 'sending' } },
      ConditionExpression: 'attribute_not_exists(id) OR (#status = :sending AND leaseUntil < :now)',
    });
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { id: { S: `converged#${SECRET_ARN}#${CURRENT}` } },
      ConditionExpression: 'claimToken = :token',
    });
  });

  it('treats zero instances as converged', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], { 'ce-a': [] });

    const { report, published } = run(['ce-a']);

    expect((await report).announcement).toBe('sent');
    expect(published).toEqual([{ InstancesCurrent: 0, InstancesStale: 0, InstancesUnknown: 0 }]);
  });

  it('does not announce while a registry credential secret carries an older version, every instance current', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], { 'ce-a': instancesOn('a', 2, CURRENT) });
    installCredentialSecrets([credentialSecret('docker.io', OLD)]);

    const { report, published } = run(['ce-a']);
    const result = await report;

    expect(result).toMatchObject({
      current: 2,
      credentialSecrets: { current: 0, stale: ['batch-registry-gateway/test/registry/docker.io'] },
      converged: false,
    });
    expect(published).toEqual([{ InstancesCurrent: 2, InstancesStale: 0, InstancesUnknown: 0 }]);
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('lists no credential secret with task credentials off', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], { 'ce-a': instancesOn('a', 1, CURRENT) });
    installCredentialSecrets([credentialSecret('docker.io', OLD)]);

    const result = await run(['ce-a'], { taskCredentials: false }).report;

    expect(secretsMock).not.toHaveReceivedCommand(ListSecretsCommand);
    expect(result.credentialSecrets).toBeUndefined();
    expect(result).toMatchObject({ converged: true, announcement: 'sent' });
  });

  it('sends nothing when the conditional write finds the version already announced', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], { 'ce-a': instancesOn('a', 1, CURRENT) });
    dynamoMock
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const { report, logged } = run(['ce-a']);

    expect((await report).announcement).toBe('already-announced');
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
    expect(logged[0]).toMatchObject({ converged: true, announcement: 'already-announced' });
  });

  it('releases its claim and throws when EventBridge fails the entry, so the next run sends it', async () => {
    installFleet([ec2ComputeEnvironment('ce-a')], { 'ce-a': instancesOn('a', 1, CURRENT) });
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }],
    });
    dynamoMock.on(DeleteItemCommand).resolves({});

    await expect(run(['ce-a']).report).rejects.toThrow(
      'EventBridge did not accept the convergence event: InternalFailure Internal service error',
    );
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { id: { S: `converged#${SECRET_ARN}#${CURRENT}` } },
      ConditionExpression: 'claimToken = :token',
    });
    expect(dynamoMock).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('fails naming the secret when it has no AWSCURRENT version', async () => {
    installFleet([], {});
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, VersionIdsToStages: {} });

    await expect(run([]).report).rejects.toThrow(`Secret ${SECRET_ARN} has no AWSCURRENT version`);
  });
});
