import * as z from 'zod/mini';
import type { CancelledJob, JobView } from '../jobs/status';
import type { SubmittedJob } from '../jobs/submit';

// The JSON bodies the HTTP API answers with (SPEC §8, §13), as zod schemas for the OpenAPI
// document. The handlers build these values through the TypeScript types named beside each schema;
// the checks at the end of this file fail typecheck when a type and its schema drift apart.

/** An RFC 9457 problem (`application/problem+json`): every error the gateway itself answers. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

/** API Gateway's own refusals (a missing or wrong signature, its throttling): `{"message"}`. */
export const apiGatewayMessageSchema = z.object({ message: z.string() });

/** 202 of `POST /jobs`. */
export const submittedJobSchema = z.object({
  jobId: z.string(),
  jobName: z.string(),
  jobQueue: z.string(),
  jobDefinition: z.string(),
  image: z.string(),
});

/** 200 of `GET /jobs/{jobId}`; times are ISO 8601. */
export const jobSchema = z.object({
  jobId: z.string(),
  jobName: z.string(),
  status: z.string(),
  statusReason: z.optional(z.string()),
  image: z.string(),
  createdAt: z.optional(z.iso.datetime()),
  startedAt: z.optional(z.iso.datetime()),
  stoppedAt: z.optional(z.iso.datetime()),
  exitCode: z.optional(z.int()),
  logStreamName: z.optional(z.string()),
  /** An array job's parent (SPEC §15): its size and how many children are in each status. */
  array: z.optional(z.object({ size: z.number(), statusSummary: z.record(z.string(), z.number()) })),
});

/** 202 of `DELETE /jobs/{jobId}`: the status the job had when termination was asked. */
export const cancelledJobSchema = z.object({ jobId: z.string(), status: z.string() });

/** 200 of `GET /registries`: registry names only. */
export const registriesSchema = z.object({ registries: z.array(z.string()) });

/** The `{jobId}` path parameter: a Batch job id. */
export const jobIdPathSchema = z.object({ jobId: z.string().check(z.minLength(1)) });

/**
 * `Idempotency-Key` (SPEC §14): 1–255 printable ASCII characters without `,` (a header sent twice
 * arrives joined by commas).
 */
export const idempotencyKeyHeaderSchema = z.object({
  'Idempotency-Key': z.optional(z.string().check(z.regex(/^[\x20-\x2b\x2d-\x7e]{1,255}$/))),
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Plain<T> = { -readonly [K in keyof T]: T[K] };
/** A compile error here means a response type changed without its schema (or the reverse). */
export type ResponseTypesAgree = [
  Assert<Equal<Plain<SubmittedJob>, z.output<typeof submittedJobSchema>>>,
  Assert<Equal<Plain<JobView>, z.output<typeof jobSchema>>>,
  Assert<Equal<Plain<CancelledJob>, z.output<typeof cancelledJobSchema>>>,
];
type Assert<T extends true> = T;
