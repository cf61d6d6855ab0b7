import type { JobDetail } from '@aws-sdk/client-batch';

const JOB_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const JOB_ID = new RegExp(`^(${JOB_UUID})(?::([0-9]{1,4}))?$`, 'i');

/** A job id of the API: a job's UUID, or `<parent-uuid>:<index>` for a child of an array job. */
export interface ParsedJobId {
  readonly jobId: string;
  /** Set for an array child: its parent's id, which carries the ownership (SPEC §15). */
  readonly parentId?: string;
}

/**
 * Parses a `{jobId}` path parameter or a `dependsOn` id (pure). A child index is 0-9999 (an array
 * job has at most 10 000 children). Returns undefined when it is neither form.
 */
export function parseJobId(input: string | undefined): ParsedJobId | undefined {
  if (input === undefined) return undefined;
  const match = JOB_ID.exec(input);
  if (!match) return undefined;
  const [, parentId = '', index] = match;
  return index === undefined ? { jobId: input } : { jobId: input, parentId };
}

/** The ids one DescribeJobs call needs for these jobs: each job, and each child's parent. */
export function idsToDescribe(ids: readonly ParsedJobId[]): string[] {
  return [...new Set(ids.flatMap((id) => (id.parentId ? [id.jobId, id.parentId] : [id.jobId])))];
}

/** `GET /jobs/{jobId}`'s `array` member for an array parent (SPEC §15), or undefined. */
export function arrayView(
  job: JobDetail,
): { readonly size: number; readonly statusSummary: Record<string, number> } | undefined {
  const size = job.arrayProperties?.size;
  if (size === undefined) return undefined;
  return { size, statusSummary: { ...(job.arrayProperties?.statusSummary ?? {}) } };
}
