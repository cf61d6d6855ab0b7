import {
  type BatchClient,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  type JobDetail,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { callAws } from '../aws-errors';
import { HttpError } from '../errors';
import { logger } from '../logger';
import { type Caller, canRead } from '../ownership/owner';
import { arrayView, idsToDescribe, parseJobId } from './array-jobs';

/** The 200 answer of `GET /jobs/{jobId}` (SPEC §8). */
export interface JobView {
  readonly jobId: string;
  readonly jobName: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly image: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly exitCode?: number;
  readonly logStreamName?: string;
  /** An array job's parent (SPEC §15). */
  readonly array?: { size: number; statusSummary: Record<string, number> };
}

/** The 202 answer of `DELETE /jobs/{jobId}`: the status the job had when termination was asked. */
export interface CancelledJob {
  readonly jobId: string;
  readonly status: string;
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED']);
const MAX_REASON = 256;

/**
 * Reads and cancels jobs on the gateway's queue only: a job on any other queue is answered like an
 * unknown one (404). `jobQueue` may be a name or an ARN; DescribeJobs gives the queue's ARN, so a
 * name is compared with the ARN's name part (the queue is in the caller's account and region).
 */
export class JobTracker {
  // Job definition revisions are immutable: ARN → image, for jobs whose details lack the image.
  private readonly definitionImages = new Map<string, string>();

  constructor(
    private readonly batch: BatchClient,
    private readonly jobQueue: string,
  ) {}

  /** `GET /jobs/{jobId}` (DescribeJobs). Throws HttpError 404 (also for another owner's job), 429 or 502. */
  async get(jobId: string | undefined, caller: Caller): Promise<JobView> {
    const job = await this.find(jobId, caller);
    return toJobView(job, await this.imageOf(job));
  }

  /**
   * `DELETE /jobs/{jobId}` (DescribeJobs, then TerminateJob with a reason naming the caller).
   * Throws HttpError 404 (also for another owner's job), 409 when the job has finished, 429 or 502.
   */
  async cancel(jobId: string | undefined, caller: Caller): Promise<CancelledJob> {
    const job = await this.find(jobId, caller);
    const id = job.jobId ?? '';
    if (FINISHED.has(job.status ?? '')) {
      throw new HttpError(409, 'Conflict', `The job ${id} has already finished with status ${job.status}.`);
    }
    const reason = `Cancelled through batch-registry-gateway by ${caller.principalArn}`.slice(0, MAX_REASON);
    await callAws(
      () => this.batch.send(new TerminateJobCommand({ jobId: id, reason })),
      'AWS Batch failed to terminate the job.',
    );
    logger.info('terminating job', { jobId: id, status: job.status, caller: caller.principalArn });
    return { jobId: id, status: job.status ?? 'UNKNOWN' };
  }

  /** Forgets remembered job definition images. */
  clear(): void {
    this.definitionImages.clear();
  }

  /**
   * Describes a job of the gateway's queue (DescribeJobs) that the caller may read (SPEC §14: its
   * owner or an admin): the one 404 rule of every `/jobs/{jobId}` route. Another owner's job is
   * answered like an unknown one, so a caller learns nothing about it; the owner tag comes with
   * DescribeJobs, so the check costs no call. A child of an array job (`<parent-uuid>:<index>`,
   * SPEC §15) is described in the same call as its parent, whose owner tag decides. Throws
   * HttpError 404, 429 or 502.
   */
  async find(jobId: string | undefined, caller: Caller): Promise<JobDetail> {
    const parsed = parseJobId(jobId);
    if (parsed === undefined) {
      throw new HttpError(
        404,
        'Not Found',
        'No such job: an AWS Batch job id is a UUID, or <uuid>:<index> for a child of an array job.',
      );
    }
    const described = await callAws(
      () => this.batch.send(new DescribeJobsCommand({ jobs: idsToDescribe([parsed]) })),
      'AWS Batch failed to describe the job.',
    );
    const job = described.jobs?.find((candidate) => candidate.jobId === parsed.jobId);
    const owner = parsed.parentId
      ? described.jobs?.find((candidate) => candidate.jobId === parsed.parentId)
      : job;
    if (!job || !owner || !onQueue(job.jobQueue, this.jobQueue) || !canRead(owner.tags, caller)) {
      throw new HttpError(404, 'Not Found', `No job ${jobId} on the gateway's job queue.`);
    }
    return job;
  }

  private async imageOf(job: JobDetail): Promise<string> {
    const image = job.container?.image;
    if (image) return image;
    const definitionArn = job.jobDefinition ?? '';
    const remembered = this.definitionImages.get(definitionArn);
    if (remembered) return remembered;
    const described = await callAws(
      () => this.batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [definitionArn] })),
      'AWS Batch failed to describe the job definition.',
    );
    const found = described.jobDefinitions?.find((definition) => definition.containerProperties?.image)
      ?.containerProperties?.image;
    if (!found) throw new HttpError(502, 'Bad Gateway', 'AWS Batch did not report the job image.');
    this.definitionImages.set(definitionArn, found);
    return found;
  }
}

/** True when a job's queue (an ARN from DescribeJobs) is the configured queue (name or ARN). */
export function onQueue(jobQueueArn: string | undefined, configured: string): boolean {
  if (!jobQueueArn) return false;
  if (configured.startsWith('arn:')) return jobQueueArn === configured;
  const name = jobQueueArn.startsWith('arn:')
    ? jobQueueArn.slice(jobQueueArn.lastIndexOf('/') + 1)
    : jobQueueArn;
  return name === configured;
}

/** The SPEC §8 view of a job (pure); Batch's epoch milliseconds become ISO 8601. */
export function toJobView(job: JobDetail, image: string): JobView {
  return {
    jobId: job.jobId ?? '',
    jobName: job.jobName ?? '',
    status: job.status ?? 'UNKNOWN',
    ...(job.statusReason ? { statusReason: job.statusReason } : {}),
    image,
    ...optionalTime('createdAt', job.createdAt),
    ...optionalTime('startedAt', job.startedAt),
    ...optionalTime('stoppedAt', job.stoppedAt),
    ...(job.container?.exitCode !== undefined ? { exitCode: job.container.exitCode } : {}),
    ...(job.container?.logStreamName ? { logStreamName: job.container.logStreamName } : {}),
    ...optionalArray(job),
  };
}

function optionalArray(job: JobDetail): { array?: NonNullable<JobView['array']> } {
  const array = arrayView(job);
  return array ? { array } : {};
}

function optionalTime(key: 'createdAt' | 'startedAt' | 'stoppedAt', millis: number | undefined) {
  return millis === undefined || !Number.isFinite(millis) ? {} : { [key]: new Date(millis).toISOString() };
}
