import {
  type BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
} from '@aws-sdk/client-batch';
import { awsFailure, callAws } from '../aws-errors';
import { logger } from '../logger';

/** Where a queue's jobs run: EC2 (and Spot) instances, or Fargate (and Fargate Spot). */
export type Platform = 'EC2' | 'FARGATE';

/** What the gateway must know about its job queue (SPEC §11, §15). */
export interface QueueInfo {
  readonly platform: Platform;
  /** The queue has a scheduling policy (fair share); a FIFO queue has none. */
  readonly fairShare: boolean;
}

const FARGATE_TYPES = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * The platform of a queue's compute environments (pure): Fargate when they are `FARGATE` or
 * `FARGATE_SPOT`, EC2 otherwise (EC2, SPOT, and unmanaged ones). AWS Batch does not let one queue
 * mix Fargate and EC2 compute environments, so the first in the queue's order decides.
 */
export function platformOf(environments: readonly ComputeEnvironmentDetail[]): Platform {
  const first = environments[0];
  return first?.computeResources?.type !== undefined && FARGATE_TYPES.has(first.computeResources.type)
    ? 'FARGATE'
    : 'EC2';
}

/**
 * Learns a queue's platform and scheduling (DescribeJobQueues, then DescribeComputeEnvironments
 * for its compute environments in order). Throws HttpError 429 when AWS throttles, 502 when the
 * queue or its compute environments cannot be read or do not exist (an operator's problem).
 */
export async function describeQueue(batch: BatchClient, jobQueue: string): Promise<QueueInfo> {
  const failure = 'AWS Batch failed to describe the job queue; the operator can find the cause in the logs.';
  const queues = await callAws(
    () => batch.send(new DescribeJobQueuesCommand({ jobQueues: [jobQueue] })),
    failure,
  );
  const queue = queues.jobQueues?.[0];
  if (!queue) throw awsFailure(new Error(`the job queue ${jobQueue} does not exist`), failure);
  const order = [...(queue.computeEnvironmentOrder ?? [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const names = order.flatMap((entry) => (entry.computeEnvironment ? [entry.computeEnvironment] : []));
  if (names.length === 0) {
    throw awsFailure(new Error(`the job queue ${jobQueue} has no compute environment`), failure);
  }
  const described = await callAws(
    () => batch.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: names })),
    failure,
  );
  const byArn = new Map(
    (described.computeEnvironments ?? []).flatMap((environment) => [
      [environment.computeEnvironmentArn, environment] as const,
      [environment.computeEnvironmentName, environment] as const,
    ]),
  );
  const environments = names.flatMap((name) => {
    const environment = byArn.get(name);
    return environment ? [environment] : [];
  });
  if (environments.length === 0) {
    throw awsFailure(new Error(`the compute environments of ${jobQueue} do not exist`), failure);
  }
  const info: QueueInfo = {
    platform: platformOf(environments),
    fairShare: Boolean(queue.schedulingPolicyArn),
  };
  logger.info('learned the job queue', { jobQueue, ...info });
  return info;
}

/**
 * A queue's QueueInfo, learned once per container (the first request pays two Batch calls; every
 * later one none). Concurrent first requests share one lookup; a failed lookup is not kept.
 */
export class QueueInfoCache {
  private known: QueueInfo | undefined;
  private pending: Promise<QueueInfo> | undefined;

  constructor(
    private readonly batch: BatchClient,
    readonly jobQueue: string,
  ) {}

  async get(): Promise<QueueInfo> {
    if (this.known) return this.known;
    this.pending ??= describeQueue(this.batch, this.jobQueue)
      .then((info) => {
        this.known = info;
        return info;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Forgets what was learned (tests; a new container starts empty). */
  clear(): void {
    this.known = undefined;
  }
}
