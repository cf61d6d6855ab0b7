import type { Context } from 'aws-lambda';
import { HttpError } from '../errors';
import { type HttpEvent, type HttpResult, json } from '../http';
import type { Caller } from '../ownership/owner';
import type { IdempotentRequests } from './idempotent';
import { idempotencyKeyOf } from './key';

/** Response header of a replayed answer (SPEC §14). */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Runs `submit` for `POST /jobs`: at once without an Idempotency-Key (no extra call), else once per
 * (owner, key) through `idempotency`, answering a replay with the stored 202 and
 * `idempotent-replayed: true`. Throws HttpError 400 for a malformed key, 501 when the deployment
 * keeps no idempotency records, and what IdempotentRequests throws.
 */
export async function submitIdempotently<T extends object>(
  request: {
    readonly event: HttpEvent;
    readonly context: Pick<Context, 'getRemainingTimeInMillis'>;
    readonly caller: Caller;
    /** The parsed JSON body. */
    readonly body: unknown;
  },
  idempotency: IdempotentRequests | undefined,
  submit: () => Promise<T>,
): Promise<HttpResult> {
  const { event, context, caller, body } = request;
  const key = idempotencyKeyOf(event);
  if (key === undefined) return json(202, await submit());
  if (idempotency === undefined) {
    throw new HttpError(
      501,
      'Not Implemented',
      'This gateway deployment keeps no Idempotency-Key records; send the request without the header.',
    );
  }
  const remaining =
    typeof context.getRemainingTimeInMillis === 'function'
      ? () => context.getRemainingTimeInMillis()
      : undefined;
  const { result, replayed } = await idempotency.run(
    { ownerKey: caller.ownerKey, key },
    body,
    remaining,
    submit,
  );
  const response = json(202, result);
  return replayed ? { ...response, headers: { ...response.headers, [REPLAYED_HEADER]: 'true' } } : response;
}
