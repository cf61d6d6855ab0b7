import { type core, z } from 'zod';
import { HttpError } from '../errors';

/** Tag keys the gateway sets itself; callers may not use this prefix. */
export const GATEWAY_TAG_PREFIX = 'batch-registry-gateway:';

/**
 * AWS Batch allows 50 tags on a job, and with propagated tags the job's and the job definition's
 * tags together must stay within 50 (else the job fails). The gateway adds one tag to each.
 */
export const MAX_CALLER_TAGS = 48;

const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// AWS tag characters: letters, numbers and spaces in UTF-8, and + - = . _ : / @
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}+\-=._:/@]*$/u;
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const environmentName = z
  .string()
  .regex(ENVIRONMENT_NAME, 'must match [A-Za-z_][A-Za-z0-9_]*')
  .refine((name) => !name.startsWith('AWS_BATCH'), 'must not start with AWS_BATCH (reserved by AWS Batch)');

const tagKey = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(TAG_CHARACTERS, 'may hold letters, numbers, spaces and + - = . _ : / @ only')
  .refine((key) => !key.toLowerCase().startsWith('aws:'), 'must not start with "aws:" (reserved by AWS)')
  .refine(
    (key) => !key.toLowerCase().startsWith(GATEWAY_TAG_PREFIX),
    `must not start with "${GATEWAY_TAG_PREFIX}" (set by the gateway)`,
  );

const tagValue = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(TAG_CHARACTERS, 'may hold letters, numbers, spaces and + - = . _ : / @ only');

/** The body of `POST /jobs` (SPEC §8). Unknown fields are rejected. */
export const submitJobSchema = z.strictObject({
  image: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
  command: z.array(z.string()).optional(),
  environment: z.record(environmentName, z.string()).optional(),
  vcpus: z.number().positive('must be greater than 0').optional(),
  memory: z.number().int('must be an integer').min(4, 'must be at least 4 (MiB)').optional(),
  gpus: z.number().int('must be an integer').min(0, 'must be at least 0').optional(),
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(JOB_NAME, 'must start with a letter or number and hold only letters, numbers, - and _')
    .optional(),
  timeoutSeconds: z.number().int('must be an integer').min(60, 'must be at least 60').optional(),
  retryAttempts: z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(10, 'must be at most 10')
    .optional(),
  tags: z
    .record(tagKey, tagValue)
    .refine((tags) => Object.keys(tags).length <= MAX_CALLER_TAGS, {
      message: `must hold at most ${MAX_CALLER_TAGS} tags (AWS allows 50; the gateway adds its own)`,
    })
    .optional(),
});

export type SubmitJobRequest = z.infer<typeof submitJobSchema>;

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Validates a parsed JSON body against the `POST /jobs` schema. Throws HttpError 400 listing every
 * failing field as `{path, message}`; messages never quote a submitted value.
 */
export function parseSubmitJobRequest(body: unknown): SubmitJobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Bad Request', 'The request body must be a JSON object.', {
      errors: [{ path: '', message: 'must be a JSON object' }],
    });
  }
  const result = submitJobSchema.safeParse(body);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap(toFieldProblems);
  throw new HttpError(400, 'Bad Request', `The request body is invalid: ${summarise(errors)}.`, { errors });
}

function toFieldProblems(issue: core.$ZodIssue): FieldProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: 'is not a known field',
    }));
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues.map((nested) => nested.message);
    return [{ path: formatPath(issue.path), message: `name ${inner.join('; ') || 'is invalid'}` }];
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    return [{ path: '', message: issue.message }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/** `environment.FOO`, `command[1]`: dots between names, brackets around array indices. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const name = String(segment);
    return text === '' ? name : `${text}.${name}`;
  }, '');
}

function summarise(errors: readonly FieldProblem[]): string {
  const shown = errors
    .slice(0, 3)
    .map((error) => (error.path ? `${error.path} ${error.message}` : error.message));
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}
