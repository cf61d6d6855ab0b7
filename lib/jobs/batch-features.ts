import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import * as z from 'zod/mini';
import type { FieldProblem } from './schema';

/** AWS Batch's limits on an array job (SubmitJob's `arrayProperties.size`). */
export const MIN_ARRAY_SIZE = 2;
export const MAX_ARRAY_SIZE = 10_000;
/** SubmitJob accepts at most 20 dependencies. */
export const MAX_DEPENDENCIES = 20;
/** A retry strategy holds at most 5 `evaluateOnExit` conditions. */
export const MAX_EXIT_CONDITIONS = 5;

const integer = z.int('must be an integer');
// Batch's patterns (RetryStrategy.evaluateOnExit): up to 512 characters, an optional trailing `*`.
const REASON = /^[A-Za-z0-9.: \t]*\*?$/;
const EXIT_CODE = /^[0-9]*\*?$/;
const SHARE_IDENTIFIER = /^[A-Za-z0-9]{1,255}$/;

const reasonPattern = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(512, 'must be at most 512 characters'),
    z.regex(REASON, 'may hold letters, digits, ".", ":" and white space, with an optional trailing "*"'),
  );

const exitCondition = z.strictObject({
  onExitCode: z.optional(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(512, 'must be at most 512 characters'),
        z.regex(EXIT_CODE, 'may hold digits only, with an optional trailing "*"'),
      ),
  ),
  onReason: z.optional(reasonPattern),
  onStatusReason: z.optional(reasonPattern),
  action: z
    .string()
    .check(z.refine((action) => /^(retry|exit)$/i.test(action), 'must be "RETRY" or "EXIT" (any case)')),
});

const dependency = z.strictObject({
  jobId: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[0-9]{1,4})?$/i,
          'must be an AWS Batch job id (a UUID, or <uuid>:<index> for an array child)',
        ),
      ),
  ),
  type: z.optional(z.enum(['N_TO_N', 'SEQUENTIAL'], 'must be "N_TO_N" or "SEQUENTIAL"')),
});

/** The SPEC §15 fields of `POST /jobs`, spread into the request schema. */
export const batchFeatureFields = {
  arraySize: z.optional(
    z
      .number()
      .check(
        integer,
        z.gte(MIN_ARRAY_SIZE, `must be at least ${MIN_ARRAY_SIZE}`),
        z.lte(MAX_ARRAY_SIZE, `must be at most ${MAX_ARRAY_SIZE}`),
      ),
  ),
  dependsOn: z.optional(
    z.array(dependency).check(z.maxLength(MAX_DEPENDENCIES, `must hold at most ${MAX_DEPENDENCIES} entries`)),
  ),
  retryStrategy: z.optional(
    z.strictObject({
      attempts: z.optional(
        z.number().check(integer, z.gte(1, 'must be at least 1'), z.lte(10, 'must be at most 10')),
      ),
      evaluateOnExit: z.optional(
        z
          .array(exitCondition)
          .check(z.maxLength(MAX_EXIT_CONDITIONS, `must hold at most ${MAX_EXIT_CONDITIONS} conditions`)),
      ),
    }),
  ),
  shareIdentifier: z.optional(
    z.string().check(z.regex(SHARE_IDENTIFIER, 'must be 1-255 letters and digits')),
  ),
  schedulingPriority: z.optional(
    z.number().check(integer, z.gte(0, 'must be at least 0'), z.lte(9999, 'must be at most 9999')),
  ),
  ephemeralStorageGiB: z.optional(
    z.number().check(integer, z.gte(21, 'must be at least 21'), z.lte(200, 'must be at most 200')),
  ),
};

const featureSchema = z.object(batchFeatureFields);
/** The SPEC §15 fields of a validated request. */
export type BatchFeatures = z.infer<typeof featureSchema> & { readonly retryAttempts?: number };

/** What the gateway knows of its queue (learned once per container). */
export interface QueueTraits {
  readonly platform: 'EC2' | 'FARGATE';
  /** The queue has a scheduling policy (fair share); otherwise it is FIFO. */
  readonly fairShare: boolean;
}

/**
 * The rules of SPEC §15 that span fields or depend on the queue (pure): `type` only on an array
 * job, `SEQUENTIAL` without a `jobId`, `N_TO_N` and untyped entries with one, `retryStrategy` not
 * with `retryAttempts`, fair-share fields only on a fair-share queue (where a share identifier is
 * required unless a default is configured), ephemeral storage only on Fargate. Returns every
 * problem, each naming its field.
 */
export function batchFeatureProblems(
  request: BatchFeatures,
  queue: QueueTraits,
  defaultShareIdentifier: string | undefined,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  (request.dependsOn ?? []).forEach((entry, index) => {
    const path = `dependsOn[${index}]`;
    if (entry.type !== undefined && request.arraySize === undefined) {
      problems.push({ path: `${path}.type`, message: 'is allowed only on an array job (give arraySize)' });
    }
    if (entry.type === 'SEQUENTIAL' && entry.jobId !== undefined) {
      problems.push({
        path: `${path}.jobId`,
        message: 'must not be given with type SEQUENTIAL (each child waits for the one before)',
      });
    }
    if (entry.type !== 'SEQUENTIAL' && entry.jobId === undefined) {
      problems.push({ path: `${path}.jobId`, message: 'is required unless type is SEQUENTIAL' });
    }
  });
  if (request.retryStrategy !== undefined && request.retryAttempts !== undefined) {
    problems.push({
      path: 'retryStrategy',
      message: 'must not be given together with retryAttempts (use retryStrategy.attempts)',
    });
  }
  if (queue.fairShare) {
    if (request.shareIdentifier === undefined && defaultShareIdentifier === undefined) {
      problems.push({
        path: 'shareIdentifier',
        message: 'is required: the job queue is fair-share and the stack sets no defaultShareIdentifier',
      });
    }
  } else {
    for (const field of ['shareIdentifier', 'schedulingPriority'] as const) {
      if (request[field] !== undefined) {
        problems.push({
          path: field,
          message: 'is allowed only on a fair-share queue; this job queue is FIFO',
        });
      }
    }
  }
  if (request.ephemeralStorageGiB !== undefined && queue.platform !== 'FARGATE') {
    problems.push({ path: 'ephemeralStorageGiB', message: 'is allowed only on a Fargate job queue' });
  }
  return problems;
}

/** The part of SubmitJob's input that the SPEC §15 fields make (pure). */
export function batchFeatureInput(
  request: BatchFeatures,
  queue: QueueTraits,
  defaultShareIdentifier: string | undefined,
): Partial<SubmitJobCommandInput> {
  const shareIdentifier = queue.fairShare ? (request.shareIdentifier ?? defaultShareIdentifier) : undefined;
  const retry = request.retryStrategy;
  return {
    ...(request.arraySize !== undefined ? { arrayProperties: { size: request.arraySize } } : {}),
    ...(request.dependsOn !== undefined && request.dependsOn.length > 0
      ? {
          dependsOn: request.dependsOn.map((entry) => ({
            ...(entry.jobId !== undefined ? { jobId: entry.jobId } : {}),
            ...(entry.type !== undefined ? { type: entry.type } : {}),
          })),
        }
      : {}),
    ...(retry !== undefined
      ? {
          retryStrategy: {
            ...(retry.attempts !== undefined ? { attempts: retry.attempts } : {}),
            ...(retry.evaluateOnExit !== undefined
              ? {
                  evaluateOnExit: retry.evaluateOnExit.map((condition) => ({
                    ...condition,
                    action: condition.action.toUpperCase() === 'RETRY' ? 'RETRY' : 'EXIT',
                  })),
                }
              : {}),
          },
        }
      : {}),
    ...(shareIdentifier !== undefined ? { shareIdentifier } : {}),
    ...(queue.fairShare && request.schedulingPriority !== undefined
      ? { schedulingPriorityOverride: request.schedulingPriority }
      : {}),
  };
}
