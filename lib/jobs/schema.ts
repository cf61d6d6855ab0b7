import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { HttpError } from '../errors';
import { batchFeatureFields } from './batch-features';

/** Tag keys the gateway sets itself; callers may not use this prefix. */
export const GATEWAY_TAG_PREFIX = 'batch-registry-gateway:';

/**
 * AWS Batch allows 50 tags on a job, and with propagated tags the job's and the job definition's
 * tags together must stay within 50 (else the job fails). The gateway adds one tag to the job
 * definition and two to the job (submitted-by, owner).
 */
export const MAX_CALLER_TAGS = 47;

const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// AWS tag characters: letters, numbers and spaces in UTF-8, and + - = . _ : / @
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}+\-=._:/@]*$/u;
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
// Caller tag keys: ASCII only, so no look-alike (NBSP, a Cyrillic letter) can sit beside the
// gateway's own `batch-registry-gateway:*` keys.
const ASCII_TAG_KEY = /^[A-Za-z0-9 +\-=._:/@]*$/;

const environmentName = z.string().check(
  z.regex(ENVIRONMENT_NAME, 'must match [A-Za-z_][A-Za-z0-9_]*'),
  z.refine((name) => !name.startsWith('AWS_BATCH'), 'must not start with AWS_BATCH (reserved by AWS Batch)'),
);

const tagKey = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(128, 'must be at most 128 characters'),
  z.regex(ASCII_TAG_KEY, 'may hold ASCII letters, digits, spaces and + - = . _ : / @ only'),
  z.refine((key) => key === key.trim(), 'must not start or end with a space'),
  z.refine((key) => !key.toLowerCase().startsWith('aws:'), 'must not start with "aws:" (reserved by AWS)'),
  z.refine(
    (key) => !key.toLowerCase().startsWith(GATEWAY_TAG_PREFIX),
    `must not start with "${GATEWAY_TAG_PREFIX}" (set by the gateway)`,
  ),
);

const tagValue = z
  .string()
  .check(
    z.maxLength(256, 'must be at most 256 characters'),
    z.regex(TAG_CHARACTERS, 'may hold letters, numbers, spaces and + - = . _ : / @ only'),
  );

// Used as a check on z.number(), as classic `.int()` does: as the base schema its message would also
// replace the "expected number" type error.
const integer = z.int('must be an integer');

/**
 * The body of `POST /jobs` (SPEC §8). Unknown fields are rejected. Written with `zod/mini` so the
 * bundle holds only the checks used here (classic `zod` cannot be tree-shaken).
 */
export const submitJobSchema = z.strictObject({
  image: z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'must be at most 1024 characters')),
  command: z.optional(z.array(z.string())),
  environment: z.optional(z.record(environmentName, z.string())),
  vcpus: z.optional(z.number().check(z.gt(0, 'must be greater than 0'))),
  memory: z.optional(z.number().check(integer, z.gte(4, 'must be at least 4 (MiB)'))),
  gpus: z.optional(z.number().check(integer, z.gte(0, 'must be at least 0'))),
  name: z.optional(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(128, 'must be at most 128 characters'),
        z.regex(JOB_NAME, 'must start with a letter or number and hold only letters, numbers, - and _'),
      ),
  ),
  timeoutSeconds: z.optional(z.number().check(integer, z.gte(60, 'must be at least 60'))),
  retryAttempts: z.optional(
    z.number().check(integer, z.gte(1, 'must be at least 1'), z.lte(10, 'must be at most 10')),
  ),
  tags: z.optional(
    z.record(tagKey, tagValue).check(
      z.refine((tags) => Object.keys(tags).length <= MAX_CALLER_TAGS, {
        message: `must hold at most ${MAX_CALLER_TAGS} tags (AWS allows 50; the gateway adds its own)`,
      }),
    ),
  ),
  ...batchFeatureFields,
});

/**
 * zod's English messages ("Invalid input: expected string, received number"), passed to each
 * parse: `zod/mini` loads no locale, and a per-parse map leaves zod's global config alone. Imported
 * from `zod/locales` by name, since `z.locales.en` would bundle every locale.
 */
const englishMessages = en().localeError;

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
  const result = submitJobSchema.safeParse(body, { error: englishMessages });
  const protoKeys = protoKeyProblems(body);
  if (result.success && protoKeys.length === 0) return result.data;
  const errors = [...protoKeys, ...(result.success ? [] : result.error.issues.flatMap(toFieldProblems))];
  throw invalidRequestBody(errors);
}

/** The 400 of a request body that breaks these rules, listing every failing field as `{path, message}`. */
export function invalidRequestBody(errors: readonly FieldProblem[]): HttpError {
  return new HttpError(400, 'Bad Request', `The request body is invalid: ${summarise(errors)}.`, { errors });
}

/**
 * JSON.parse keeps a `"__proto__"` key as an own property, but zod's records skip it (copying it
 * would replace the output's prototype), so the variable or tag would silently vanish: refuse it.
 */
function protoKeyProblems(body: object): FieldProblem[] {
  return (['environment', 'tags'] as const).flatMap((field) => {
    const record: unknown = Reflect.get(body, field);
    return typeof record === 'object' && record !== null && Object.hasOwn(record, '__proto__')
      ? [{ path: `${field}.__proto__`, message: 'name must not be __proto__' }]
      : [];
  });
}

function toFieldProblems(issue: z.core.$ZodIssue): FieldProblem[] {
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
