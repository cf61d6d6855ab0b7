import { HttpError } from '../errors';
import type { HttpEvent } from '../http';

/** The header of SPEC §14, as payload 2.0 gives it (lower-cased). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1-255 printable ASCII characters without `,` (a header sent twice arrives joined by commas). */
const KEY = /^[\x20-\x2b\x2d-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key, or undefined without the header. Throws HttpError 400 when it is
 * empty, longer than 255 characters, holds anything but printable ASCII, or holds a comma (two
 * headers); the message never quotes the key.
 */
export function idempotencyKeyOf(event: Pick<HttpEvent, 'headers'>): string | undefined {
  const value = event.headers?.[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (KEY.test(value)) return value;
  const reason = value.includes(',')
    ? 'was sent more than once or holds a comma'
    : value.length === 0
      ? 'is empty'
      : value.length > 255
        ? `is ${value.length} characters long; the limit is 255`
        : 'holds characters other than printable ASCII';
  throw new HttpError(
    400,
    'Bad Request',
    `The Idempotency-Key header ${reason}: send one key of 1-255 printable ASCII characters without ",".`,
    { errors: [{ path: 'header:idempotency-key', message: reason }] },
  );
}
