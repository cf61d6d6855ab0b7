import type * as z from 'zod/mini';
import { submitJobSchema } from '../jobs/schema';
import { jobLogsQuerySchema, jobLogsSchema } from '../logs/schema';
import {
  apiGatewayMessageSchema,
  cancelledJobSchema,
  idempotencyKeyHeaderSchema,
  jobIdPathSchema,
  jobSchema,
  problemSchema,
  registriesSchema,
  submittedJobSchema,
} from './schemas';

// The HTTP API as data (SPEC §8, §13, §14): every route, its inputs as the very zod schemas the
// handlers validate with, and every status with its body and headers. `npm run openapi` turns
// this table into openapi.json; a test checks it against serverless.yml's routes.

/** Named bodies: each becomes `#/components/schemas/<name>`. */
export const apiSchemas = {
  SubmitJobRequest: submitJobSchema,
  SubmittedJob: submittedJobSchema,
  Job: jobSchema,
  CancelledJob: cancelledJobSchema,
  JobLogs: jobLogsSchema,
  Registries: registriesSchema,
  Problem: problemSchema,
  ApiGatewayMessage: apiGatewayMessageSchema,
} as const;

export type ApiSchemaName = keyof typeof apiSchemas;

export interface HeaderSpec {
  readonly description: string;
  readonly schema: { readonly type: 'string' | 'integer'; readonly enum?: readonly string[] };
  readonly required?: boolean;
}

export interface ResponseSpec {
  readonly description: string;
  readonly json?: ApiSchemaName;
  readonly problem?: boolean;
  readonly headers?: Readonly<Record<string, HeaderSpec>>;
}

export type HttpMethod = 'get' | 'post' | 'delete';

export interface RouteSpec {
  readonly method: HttpMethod;
  readonly path: string;
  /** The function's key in serverless.yml; also the operationId. */
  readonly functionName: string;
  readonly summary: string;
  readonly description: string;
  readonly pathParameters?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  /** Request headers, as an object schema keyed by header name. */
  readonly headers?: z.ZodMiniObject;
  readonly body?: ApiSchemaName;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

const retryAfter: HeaderSpec = {
  description: 'Seconds to wait before trying again.',
  schema: { type: 'integer' },
  required: true,
};

const problem = (description: string, headers?: Record<string, HeaderSpec>): ResponseSpec => ({
  description,
  problem: true,
  ...(headers ? { headers } : {}),
});

/** Answers every route can give: API Gateway's refusals, throttling, failures. */
const common: Readonly<Record<number, ResponseSpec>> = {
  403: {
    description:
      'API Gateway refused the request: no SigV4 signature, a wrong one, or no execute-api:Invoke on the route.',
    json: 'ApiGatewayMessage',
  },
  429: problem('AWS (or API Gateway, with `{"message"}`) throttled the request.', {
    'Retry-After': retryAfter,
  }),
  500: problem('An unexpected failure; the detail quotes a request id for the operator.'),
  502: problem('AWS or the registry failed in a way the caller cannot fix.'),
};

const jobNotFound = problem(
  "No such job: unknown, not on the gateway's job queue, or not the caller's (SPEC §14).",
);

export const routes: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/jobs',
    functionName: 'submitJob',
    summary: 'Submit a job',
    description:
      'Validates the image reference and its registry, checks that the image exists, maps it to a managed job definition and submits the job to the private-registry job queue.',
    headers: idempotencyKeyHeaderSchema,
    body: 'SubmitJobRequest',
    responses: {
      202: {
        description:
          'Submitted. `idempotent-replayed: true` when this answers an earlier request with the same Idempotency-Key.',
        json: 'SubmittedJob',
        headers: {
          'idempotent-replayed': {
            description:
              'Present (`true`) when the stored answer of an earlier request with the same Idempotency-Key is replayed; nothing was submitted.',
            schema: { type: 'string', enum: ['true'] },
          },
        },
      },
      400: problem(
        'The body is not JSON, fails the schema (each failing field in `errors`), or the image reference is malformed; or the Idempotency-Key is malformed.',
      ),
      ...common,
      403: {
        description:
          'The image\'s registry is not allowed (problem+json); or API Gateway refused the request (`{"message"}`).',
        json: 'ApiGatewayMessage',
        problem: true,
      },
      409: problem('A request with the same Idempotency-Key is still in flight.', {
        'Retry-After': retryAfter,
      }),
      413: problem('The body is over 64 KiB.'),
      422: problem(
        'The image (tag or digest) does not exist in its registry; or the Idempotency-Key was used with a different body.',
      ),
      501: problem(
        'An Idempotency-Key was sent to a deployment that keeps no idempotency records (no IDEMPOTENCY_TABLE).',
      ),
      503: problem("Fargate queue and the registry's credential secret is not rolled out yet.", {
        'Retry-After': retryAfter,
      }),
      504: problem('The registry did not answer the image check in time.', { 'Retry-After': retryAfter }),
    },
  },
  {
    method: 'get',
    path: '/jobs/{jobId}',
    functionName: 'getJob',
    summary: 'Read a job',
    description: "The job's status, image and times (ISO 8601).",
    pathParameters: jobIdPathSchema,
    responses: { 200: { description: 'The job.', json: 'Job' }, 404: jobNotFound, ...common },
  },
  {
    method: 'delete',
    path: '/jobs/{jobId}',
    functionName: 'cancelJob',
    summary: 'Cancel a job',
    description: 'Terminates the job (AWS Batch TerminateJob with a reason naming the caller).',
    pathParameters: jobIdPathSchema,
    responses: {
      202: {
        description: "Termination asked; `status` is the job's status at that moment.",
        json: 'CancelledJob',
      },
      404: jobNotFound,
      409: problem('The job has already finished.'),
      ...common,
    },
  },
  {
    method: 'get',
    path: '/jobs/{jobId}/logs',
    functionName: 'getJobLogs',
    summary: "Read a job's output",
    description:
      "One page of the CloudWatch Logs events of the job's latest attempt, oldest first. `nextToken` is left out only when the job has finished and nothing more will come; a running job always gives one, possibly with no events. A job that has not started, and an array parent, have no events.",
    pathParameters: jobIdPathSchema,
    query: jobLogsQuerySchema,
    responses: {
      200: { description: 'A page of events.', json: 'JobLogs' },
      400: problem(
        '`limit` is not a whole number from 1 to 1000, or `nextToken` is not one this API returned.',
      ),
      404: jobNotFound,
      ...common,
    },
  },
  {
    method: 'get',
    path: '/registries',
    functionName: 'listRegistries',
    summary: 'List the registries',
    description: 'The registries jobs may use: names only, never credentials.',
    responses: { 200: { description: 'Registry names.', json: 'Registries' }, ...common },
  },
];
