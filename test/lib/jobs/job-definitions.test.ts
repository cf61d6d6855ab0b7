import {
  BatchClient,
  DescribeJobDefinitionsCommand,
  type JobDefinition,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type DefinitionIdentity, managedJobDefinition } from '../../../lib/jobs/definition-spec';
import { JobDefinitions, MAX_REMEMBERED_DEFINITIONS } from '../../../lib/jobs/job-definitions';

const ACCOUNT = '123456789012';
const arnOf = (name: string, revision: number) =>
  `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/${name}:${revision}`;
const identity: DefinitionIdentity = {
  stage: 'prod',
  image: 'ghcr.io/org/app:1.0',
  platform: 'EC2',
  credentialSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:brg/registry-credentials/ghcr.io-Ab12Cd`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/brg-prod-execution`,
  jobRoleArn: undefined,
  assignPublicIp: 'DISABLED',
};
const input = managedJobDefinition(identity);
const batchMock = mockClient(BatchClient);
const batch = new BatchClient({ region: 'us-east-1' });

/** DescribeJobDefinitions' shape of a revision of `input` (Batch fills in the empty lists). */
function revision(number: number, containerExtra: Record<string, unknown> = {}): JobDefinition {
  return {
    jobDefinitionName: input.jobDefinitionName,
    jobDefinitionArn: arnOf(input.jobDefinitionName, number),
    revision: number,
    status: 'ACTIVE',
    type: 'container',
    parameters: {},
    containerProperties: {
      ...structuredClone(input.containerProperties),
      command: [],
      volumes: [],
      environment: [],
      mountPoints: [],
      ulimits: [],
      secrets: [],
      ...containerExtra,
    },
    tags: { ...input.tags },
    platformCapabilities: ['EC2'],
    containerOrchestrationType: 'ECS',
  };
}

beforeEach(() => {
  batchMock.reset();
  batchMock.on(RegisterJobDefinitionCommand).callsFake((registered: { jobDefinitionName: string }) => ({
    jobDefinitionName: registered.jobDefinitionName,
    jobDefinitionArn: arnOf(registered.jobDefinitionName, 9),
    revision: 9,
  }));
});

describe('JobDefinitions', () => {
  it('reuses the newest exact revision across pages and registers nothing', async () => {
    batchMock
      .on(DescribeJobDefinitionsCommand)
      .resolvesOnce({ jobDefinitions: [revision(1)], nextToken: 'page-2' })
      .resolves({ jobDefinitions: [revision(3), revision(2)] });

    const definition = await new JobDefinitions(batch).ensure(input);

    expect(definition).toEqual({ name: input.jobDefinitionName, arn: arnOf(input.jobDefinitionName, 3) });
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobDefinitionsCommand, {
      jobDefinitionName: input.jobDefinitionName,
      status: 'ACTIVE',
      nextToken: 'page-2',
    });
    expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
  });

  it('never uses a newer revision planted under the name with a log driver: it registers its own', async () => {
    const plantedRevision = revision(5, {
      logConfiguration: { logDriver: 'syslog', options: { 'syslog-address': 'tcp://203.0.113.9:514' } },
    });
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [plantedRevision] });

    const definition = await new JobDefinitions(batch).ensure(input);

    expect(definition.arn).toBe(arnOf(input.jobDefinitionName, 9));
    expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
    expect(batchMock.commandCalls(RegisterJobDefinitionCommand)[0]?.args[0].input).toEqual(input);
  });

  it('prefers an older exact revision to a newer planted one', async () => {
    batchMock
      .on(DescribeJobDefinitionsCommand)
      .resolves({ jobDefinitions: [revision(2), revision(4, { privileged: true })] });

    const definition = await new JobDefinitions(batch).ensure(input);

    expect(definition.arn).toBe(arnOf(input.jobDefinitionName, 2));
  });

  it('remembers a definition: the warm path makes no call, concurrent first requests share one lookup', async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [] });
    const definitions = new JobDefinitions(batch);

    await Promise.all(Array.from({ length: 10 }, () => definitions.ensure(input)));
    await definitions.ensure(input);

    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 1);
    expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
  });

  it(`remembers at most ${MAX_REMEMBERED_DEFINITIONS} definitions, looking the least recently used up again`, async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [] });
    const definitions = new JobDefinitions(batch);
    const inputs = Array.from({ length: MAX_REMEMBERED_DEFINITIONS + 1 }, (_, index) =>
      managedJobDefinition({ ...identity, image: `ghcr.io/org/app:${index}` }),
    );

    for (const each of inputs) await definitions.ensure(each);
    batchMock.resetHistory();
    await definitions.ensure(inputs[MAX_REMEMBERED_DEFINITIONS] ?? input);
    await definitions.ensure(inputs[0] ?? input);

    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 1);
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobDefinitionsCommand, {
      jobDefinitionName: inputs[0]?.jobDefinitionName,
    });
  });

  it('looks a forgotten definition up again', async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [revision(1)] });
    const definitions = new JobDefinitions(batch);

    await definitions.ensure(input);
    definitions.forget(input.jobDefinitionName);
    await definitions.ensure(input);

    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 2);
  });
});
