import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { awsFailure } from '../aws-errors';
import { HttpError } from '../errors';
import { logger } from '../logger';
import { canonicalJson } from './canonical-json';

/** SPEC §14: a key is kept 24 hours. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Seconds a caller is asked to wait while the first request with its key is still running. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;
/** Stable prefix of the record ids, so a renamed function keeps its keys. */
const KEY_PREFIX = 'POST /jobs';

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

/** What Powertools hashes: the scope for the record id, the canonical body for the payload check. */
interface IdempotencyPayload {
  readonly scope: readonly [string, string];
  readonly body: string;
}

/**
 * `Idempotency-Key` (SPEC §14) on Powertools' idempotency utility: one record per (owner key,
 * key), written in progress with a conditional PutItem (its in-flight mark expires when the
 * invocation's remaining time runs out), completed with the result (UpdateItem) or deleted when the
 * work throws, so failures store nothing. The same key with the same canonical body answers the
 * stored result (replayed, nothing done); a different body → HttpError 422; still in flight → 409
 * with Retry-After; the store throttled → 429, failing otherwise → 502.
 */
export class IdempotentRequests {
  constructor(
    private readonly persistence: BasePersistenceLayer,
    /** In-flight time when the invocation cannot say how long it has left (not in Lambda). */
    private readonly fallbackRemainingMs = 30_000,
  ) {}

  async run<T extends object>(
    scope: IdempotencyScope,
    body: unknown,
    remainingTimeMs: (() => number) | undefined,
    work: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>> {
    let ran = false;
    let failed: { readonly error: unknown } | undefined;
    let produced: { readonly value: T } | undefined;
    const idempotent = makeIdempotent(
      async (_payload: IdempotencyPayload, _context: { getRemainingTimeInMillis(): number }) => {
        ran = true;
        try {
          const value = await work();
          produced = { value };
          return value;
        } catch (error) {
          failed = { error };
          throw error;
        }
      },
      {
        persistenceStore: this.persistence,
        // One configuration per request: it carries this invocation's remaining time.
        config: new IdempotencyConfig({
          eventKeyJmesPath: 'scope',
          payloadValidationJmesPath: 'body',
          throwOnNoIdempotencyKey: true,
          expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
          hashFunction: 'sha256',
        }),
        keyPrefix: KEY_PREFIX,
      },
    );
    const remaining = remainingTimeMs?.() ?? this.fallbackRemainingMs;
    try {
      const result = (await idempotent(
        { scope: [scope.ownerKey, scope.key], body: canonicalJson(body) },
        { getRemainingTimeInMillis: () => remaining },
      )) as T;
      return { result, replayed: !ran };
    } catch (error) {
      if (failed !== undefined) {
        // The work's own error is the answer. If its in-progress mark could not be deleted, the mark
        // expires with the invocation; until then the same key answers 409.
        if (error !== failed.error)
          logger.warn('could not delete an idempotency record', { cause: name(error) });
        throw failed.error;
      }
      if (produced !== undefined) {
        // The work was done (the job submitted) but its record could not be completed: answer what
        // was done rather than an error the caller would retry into a second job.
        logger.warn('could not complete an idempotency record', { cause: name(error) });
        return { result: produced.value, replayed: false };
      }
      throw idempotencyFailure(error);
    }
  }
}

function name(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : 'non-error thrown';
}

/** The HTTP answer for an error of the idempotency utility (the work's own errors pass through). */
export function idempotencyFailure(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const errorName = error instanceof Error ? error.name : '';
  switch (errorName) {
    case 'IdempotencyValidationError':
      return new HttpError(
        422,
        'Unprocessable Content',
        'This Idempotency-Key was already used with a different request body; use a new key for a different job.',
        { cause: error },
      );
    case 'IdempotencyAlreadyInProgressError':
    case 'IdempotencyInconsistentStateError':
    case 'IdempotencyItemNotFoundError':
      return new HttpError(
        409,
        'Conflict',
        `A request with this Idempotency-Key is still in progress; retry after ${IN_FLIGHT_RETRY_AFTER_SECONDS} second(s) to get its answer.`,
        { cause: error, headers: { 'retry-after': String(IN_FLIGHT_RETRY_AFTER_SECONDS) } },
      );
    case 'IdempotencyPersistenceLayerError': {
      const cause = error instanceof Error ? error.cause : undefined;
      return awsFailure(cause ?? error, 'The gateway could not record the Idempotency-Key.');
    }
    default:
      return awsFailure(error, 'The gateway could not record the Idempotency-Key.');
  }
}
