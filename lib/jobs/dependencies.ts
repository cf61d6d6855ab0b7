import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { callAws } from '../aws-errors';
import { idsToDescribe, type ParsedJobId, parseJobId } from './array-jobs';
import type { BatchFeatures } from './batch-features';
import { type FieldProblem, invalidRequestBody } from './schema';
import { onQueue } from './status';

/** May the caller read this job? `owner` is the job whose tags carry the ownership (a child's parent). */
export type MayRead = (job: JobDetail, owner: JobDetail) => boolean;

/**
 * Checks every `dependsOn[].jobId` with one DescribeJobs call for all of them (SPEC §15): each must
 * be a job the caller may read on the gateway's queue, and an `N_TO_N` dependency an array job of
 * the same size. Makes no call without ids. Throws HttpError 400 naming each failing entry (or the
 * 429/502 of the AWS call).
 */
export async function checkDependencies(
  batch: BatchClient,
  jobQueue: string,
  request: Pick<BatchFeatures, 'dependsOn' | 'arraySize'>,
  mayRead: MayRead,
): Promise<void> {
  const entries = (request.dependsOn ?? []).flatMap((entry, index) => {
    const parsed = parseJobId(entry.jobId);
    return parsed ? [{ index, type: entry.type, parsed }] : [];
  });
  if (entries.length === 0) return;
  const ids = idsToDescribe(entries.map((entry) => entry.parsed));
  const described = await callAws(
    () => batch.send(new DescribeJobsCommand({ jobs: ids })),
    'AWS Batch failed to describe the jobs named in dependsOn.',
  );
  const byId = new Map((described.jobs ?? []).map((job) => [job.jobId ?? '', job]));
  const problems: FieldProblem[] = [];
  for (const { index, type, parsed } of entries) {
    const problem = dependencyProblem(byId, parsed, type, request.arraySize, jobQueue, mayRead);
    if (problem) problems.push({ path: `dependsOn[${index}].jobId`, message: problem });
  }
  if (problems.length > 0) throw invalidRequestBody(problems);
}

function dependencyProblem(
  byId: ReadonlyMap<string, JobDetail>,
  id: ParsedJobId,
  type: 'N_TO_N' | 'SEQUENTIAL' | undefined,
  arraySize: number | undefined,
  jobQueue: string,
  mayRead: MayRead,
): string | undefined {
  const job = byId.get(id.jobId);
  const owner = id.parentId ? byId.get(id.parentId) : job;
  if (!job || !owner || !onQueue(job.jobQueue, jobQueue) || !mayRead(job, owner)) {
    return `names no job of yours on the gateway's job queue (${id.jobId})`;
  }
  if (type === 'N_TO_N' && job.arrayProperties?.size !== arraySize) {
    return `must name an array job of the same size (${arraySize}) for type N_TO_N`;
  }
  return undefined;
}
