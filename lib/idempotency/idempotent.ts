import { createHash } from 'node:crypto';
import { awsFailure } from '../aws-errors';
import { HttpError } from '../errors';
import { logger } from '../logger';
import { canonicalJson } from './canonical-json';
import type { IdempotencyRecord, IdempotencyTable } from './records';

/** SPEC §14: a key is kept 24 hours. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Seconds a caller is asked to wait while the first request with its key is still running. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;
/** Stable prefix of the record ids, so a renamed function keeps its keys. */
const KEY_PREFIX = 'POST /jobs';
const STORE_FAILURE = 'The gateway could not record the Idempotency-Key.';

/** Whose key it is: keys are scoped to the caller's owner key. */
export interface IdempotencyScope {
  readonly ownerKey: string;
  readonly key: string;
}

/** The answer, and whether it is the stored answer of an earlier request (nothing was done). */
export interface IdempotentOutcome<T> {
  readonly result: T;
  readonly replayed: boolean;
}

/**
 * `Idempotency-Key` (SPEC §14) with conditional writes: one record per (owner key, key), written
 * in flight with a conditional PutItem (its mark expires when the invocation's remaining time runs
 * out), completed with the answer (UpdateItem) or deleted when the work throws, so failures store
 * nothing. The same key with the same canonical body answers the stored result (replayed, nothing
 * done); a different body → HttpError 422; still in flight → 409 with Retry-After; the table
 * throttled → 429, failing otherwise → 502. Three calls on the first request, one on a replay.
 */
export class IdempotentRequests {
  constructor(
    private readonly table: IdempotencyTable,
    /** In-flight time when the invocation cannot say how long it has left (not in Lambda). */
    private readonly fallbackRemainingMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async run<T extends object>(
    scope: IdempotencyScope,
    body: unknown,
    remainingTimeMs: (() => number) | undefined,
    work: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>> {
    const id = `${KEY_PREFIX}#${hash([scope.ownerKey, scope.key])}`;
    const validation = hash(canonicalJson(body));
    const now = this.now();
    const expiresAt = Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS;
    const inFlightUntil = now + (remainingTimeMs?.() ?? this.fallbackRemainingMs);
    let begun: Awaited<ReturnType<IdempotencyTable['begin']>>;
    try {
      begun = await this.table.begin(id, validation, expiresAt, inFlightUntil, now);
    } catch (error) {
      throw awsFailure(error, STORE_FAILURE);
    }
    if (!begun.begun) return { result: storedAnswer<T>(begun.existing, validation), replayed: true };

    let result: T;
    try {
      result = await work();
    } catch (error) {
      // The work's own error is the answer. If its in-flight mark cannot be deleted, the mark
      // expires with the invocation; until then the same key answers 409.
      await this.table.release(id).catch((cause: unknown) => {
        logger.warn('could not delete an idempotency record', { cause: describe(cause) });
      });
      throw error;
    }
    try {
      await this.table.complete(
        id,
        JSON.stringify(result),
        Math.floor(this.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      );
    } catch (cause) {
      // The work was done (the job submitted) but its record could not be completed: answer what
      // was done rather than an error the caller would retry into a second job.
      logger.warn('could not complete an idempotency record', { cause: describe(cause) });
    }
    return { result, replayed: false };
  }
}

/** The answer a record holds for this body, or the HttpError that says why there is none. */
function storedAnswer<T>(record: IdempotencyRecord | undefined, validation: string): T {
  if (record?.validation !== undefined && record.validation !== validation) {
    throw new HttpError(
      422,
      'Unprocessable Content',
      'This Idempotency-Key was already used with a different request body; use a new key for a different job.',
    );
  }
  if (record?.status === 'COMPLETED' && record.data !== undefined) {
    try {
      return JSON.parse(record.data) as T;
    } catch (error) {
      throw new HttpError(502, 'Bad Gateway', 'The stored answer of this Idempotency-Key is unreadable.', {
        cause: error,
      });
    }
  }
  // In flight, or gone between the refused write and the read: the first request's answer comes.
  throw new HttpError(
    409,
    'Conflict',
    `A request with this Idempotency-Key is still in progress; retry after ${IN_FLIGHT_RETRY_AFTER_SECONDS} second(s) to get its answer.`,
    { headers: { 'retry-after': String(IN_FLIGHT_RETRY_AFTER_SECONDS) } },
  );
}

/** SHA-256 of the value's JSON, base64: record ids and body hashes never hold the key or body. */
function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown';
}
