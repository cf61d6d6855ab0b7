import {
  BatchClient,
  BatchServiceException,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { HttpError } from '../../../lib/errors';
import { describeQueue, QueueInfoCache } from '../../../lib/jobs/queue';

const ACCOUNT = '123456789012';
const QUEUE = 'private-registry-jobs';
const ceArn = (name: string) => `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/${name}`;
const batchMock = mockClient(BatchClient);
const batch = new BatchClient({ region: 'us-east-1' });

/** DescribeJobQueues as the API reference shows it. */
function queue(environments: string[], schedulingPolicyArn?: string) {
  return {
    jobQueues: [
      {
        jobQueueName: QUEUE,
        jobQueueArn: `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/${QUEUE}`,
        state: 'ENABLED' as const,
        status: 'VALID' as const,
        statusReason: 'JobQueue Healthy',
        priority: 1,
        ...(schedulingPolicyArn ? { schedulingPolicyArn } : {}),
        computeEnvironmentOrder: environments.map((name, index) => ({
          order: index + 1,
          computeEnvironment: ceArn(name),
        })),
        tags: {},
      },
    ],
  };
}

function environment(name: string, type: 'EC2' | 'SPOT' | 'FARGATE' | 'FARGATE_SPOT' | undefined) {
  return {
    computeEnvironmentName: name,
    computeEnvironmentArn: ceArn(name),
    ecsClusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}_Batch_0a1b2c3d`,
    type: type === undefined ? ('UNMANAGED' as const) : ('MANAGED' as const),
    state: 'ENABLED' as const,
    status: 'VALID' as const,
    statusReason: 'ComputeEnvironment Healthy',
    ...(type === undefined
      ? {}
      : {
          computeResources: {
            type,
            maxvCpus: 256,
            subnets: ['subnet-0a1b2c3d'],
            securityGroupIds: ['sg-0a1b'],
          },
        }),
    serviceRole: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch`,
    containerOrchestrationType: 'ECS' as const,
  };
}

beforeEach(() => {
  batchMock.reset();
});

describe('describeQueue', () => {
  it.each([
    ['FARGATE', 'FARGATE'],
    ['FARGATE_SPOT', 'FARGATE'],
    ['EC2', 'EC2'],
    ['SPOT', 'EC2'],
  ] as const)('calls a queue on %s compute environments a %s queue', async (type, platform) => {
    batchMock.on(DescribeJobQueuesCommand).resolves(queue(['ce-1']));
    batchMock
      .on(DescribeComputeEnvironmentsCommand)
      .resolves({ computeEnvironments: [environment('ce-1', type)] });

    const info = await describeQueue(batch, QUEUE);

    expect(info).toEqual({ platform, fairShare: false });
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobQueuesCommand, { jobQueues: [QUEUE] });
    expect(batchMock).toHaveReceivedCommandWith(DescribeComputeEnvironmentsCommand, {
      computeEnvironments: [ceArn('ce-1')],
    });
  });

  it('calls an unmanaged compute environment EC2, and learns fair share from the scheduling policy', async () => {
    const policy = `arn:aws:batch:us-east-1:${ACCOUNT}:scheduling-policy/fair`;
    batchMock.on(DescribeJobQueuesCommand).resolves(queue(['own'], policy));
    batchMock
      .on(DescribeComputeEnvironmentsCommand)
      .resolves({ computeEnvironments: [environment('own', undefined)] });

    await expect(describeQueue(batch, QUEUE)).resolves.toEqual({ platform: 'EC2', fairShare: true });
  });

  it('decides by the first compute environment in the queue order, whatever order Batch describes them in', async () => {
    const described = queue(['spot', 'on-demand']);
    const order = described.jobQueues[0]?.computeEnvironmentOrder ?? [];
    order.reverse();
    for (const [index, entry] of order.entries()) entry.order = 2 - index;
    batchMock.on(DescribeJobQueuesCommand).resolves(described);
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [environment('on-demand', 'FARGATE'), environment('spot', 'FARGATE_SPOT')],
    });

    await expect(describeQueue(batch, QUEUE)).resolves.toEqual({ platform: 'FARGATE', fairShare: false });
    expect(batchMock).toHaveReceivedCommandWith(DescribeComputeEnvironmentsCommand, {
      computeEnvironments: [ceArn('spot'), ceArn('on-demand')],
    });
  });

  it('answers 502 when the queue does not exist (Batch returns an empty list)', async () => {
    batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });

    await expect(describeQueue(batch, QUEUE)).rejects.toMatchObject({ statusCode: 502 });
    expect(batchMock).not.toHaveReceivedCommand(DescribeComputeEnvironmentsCommand);
  });

  it('answers 429 when Batch throttles', async () => {
    batchMock.on(DescribeJobQueuesCommand).rejects(
      new BatchServiceException({
        name: 'TooManyRequestsException',
        $fault: 'client',
        $metadata: { httpStatusCode: 429 },
        message: 'Too Many Requests',
      }),
    );

    const error = await describeQueue(batch, QUEUE).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 429, headers: { 'retry-after': expect.any(String) } });
  });
});

describe('QueueInfoCache', () => {
  it('learns the queue once per container, sharing one lookup between concurrent first requests', async () => {
    batchMock.on(DescribeJobQueuesCommand).resolves(queue(['ce-1']));
    batchMock
      .on(DescribeComputeEnvironmentsCommand)
      .resolves({ computeEnvironments: [environment('ce-1', 'FARGATE')] });
    const cache = new QueueInfoCache(batch, QUEUE);

    const infos = await Promise.all([cache.get(), cache.get(), cache.get()]);
    await cache.get();

    expect(infos.map((info) => info.platform)).toEqual(['FARGATE', 'FARGATE', 'FARGATE']);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeJobQueuesCommand, 1);
    expect(batchMock).toHaveReceivedCommandTimes(DescribeComputeEnvironmentsCommand, 1);
  });

  it('does not keep a failed lookup: the next request asks again', async () => {
    batchMock
      .on(DescribeJobQueuesCommand)
      .rejectsOnce(
        new BatchServiceException({ name: 'ServerException', $fault: 'server', $metadata: {}, message: 'x' }),
      )
      .resolves(queue(['ce-1']));
    batchMock
      .on(DescribeComputeEnvironmentsCommand)
      .resolves({ computeEnvironments: [environment('ce-1', 'EC2')] });
    const cache = new QueueInfoCache(batch, QUEUE);

    await expect(cache.get()).rejects.toMatchObject({ statusCode: 502 });
    await expect(cache.get()).resolves.toEqual({ platform: 'EC2', fairShare: false });
  });
});
