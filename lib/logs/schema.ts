import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { HttpError } from '../errors';
import { formatPath } from '../jobs/schema';

/** CloudWatch Logs GetLogEvents returns at most 10,000 events; the API pages by at most 1,000. */
export const MAX_LOG_LIMIT = 1000;
export const DEFAULT_LOG_LIMIT = 100;

/** The query string of `GET /jobs/{jobId}/logs` (SPEC §13). Unknown parameters are ignored. */
export const jobLogsQuerySchema = z.object({
  limit: z._default(
    z.coerce
      .number()
      .check(
        z.int('must be a whole number'),
        z.gte(1, 'must be at least 1'),
        z.lte(MAX_LOG_LIMIT, `must be at most ${MAX_LOG_LIMIT}`),
      ),
    DEFAULT_LOG_LIMIT,
  ),
  nextToken: z.optional(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(4096, 'must be at most 4096 characters'),
        z.regex(/^[A-Za-z0-9_-]+$/, 'must be a token this API returned'),
      ),
  ),
});

export type JobLogsQuery = z.output<typeof jobLogsQuerySchema>;

/** One log event: CloudWatch's epoch milliseconds as ISO 8601. */
export const logEventSchema = z.object({
  timestamp: z.iso.datetime(),
  message: z.string(),
});

/** The 200 answer of `GET /jobs/{jobId}/logs`, oldest event first. */
export const jobLogsSchema = z.object({
  events: z.array(logEventSchema),
  nextToken: z.optional(z.string()),
});

export type JobLogs = z.output<typeof jobLogsSchema>;

/**
 * Validates the query string parameters of payload 2.0 (absent when there are none). Throws
 * HttpError 400 listing every failing parameter.
 */
export function parseJobLogsQuery(
  query: Readonly<Record<string, string | undefined>> | undefined,
): JobLogsQuery {
  const result = jobLogsQuerySchema.safeParse(query ?? {}, { error: en().localeError });
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new HttpError(
    400,
    'Bad Request',
    `The query string is invalid: ${errors.map((error) => `${error.path} ${error.message}`).join('; ')}.`,
    { errors },
  );
}
