import {
  type BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
} from '@aws-sdk/client-batch';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * Answers the two calls by which the submit function learns its queue (SPEC §11): DescribeJobQueues
 * with `queue` on one managed compute environment, and DescribeComputeEnvironments for exactly
 * that compute environment (a specific matcher, so it wins over a wider one declared before), in
 * the shapes of the AWS Batch API reference.
 */
export function mockJobQueue(
  batchMock: AwsClientStub<BatchClient>,
  queue: string,
  type: 'EC2' | 'SPOT' | 'FARGATE' | 'FARGATE_SPOT' = 'EC2',
): void {
  const name = `${queue}-ce`;
  const arn = `arn:aws:batch:us-east-1:123456789012:compute-environment/${name}`;
  batchMock.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      {
        jobQueueName: queue,
        jobQueueArn: `arn:aws:batch:us-east-1:123456789012:job-queue/${queue}`,
        state: 'ENABLED',
        status: 'VALID',
        statusReason: 'JobQueue Healthy',
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: arn }],
      },
    ],
  });
  batchMock.on(DescribeComputeEnvironmentsCommand, { computeEnvironments: [arn] }).resolves({
    computeEnvironments: [
      {
        computeEnvironmentName: name,
        computeEnvironmentArn: arn,
        ecsClusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/AWSBatch-${name}-4a3b2c1d`,
        type: 'MANAGED',
        state: 'ENABLED',
        status: 'VALID',
        statusReason: 'ComputeEnvironment Healthy',
        containerOrchestrationType: 'ECS',
        computeResources: {
          type,
          maxvCpus: 256,
          subnets: ['subnet-0a1b2c3d4e5f60718'],
          securityGroupIds: ['sg-0a1b2c3d'],
        },
      },
    ],
  });
}
