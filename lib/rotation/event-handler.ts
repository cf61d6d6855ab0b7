import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeError } from '../errors';
import { logger } from '../logger';

/**
 * Wraps an event-driven handler (rotation, EventBridge) in middy with the logger's Lambda context.
 * Errors are logged by name and message and rethrown, so AWS retries and, in the end,
 * dead-letters the event; the event itself is never logged.
 */
export function eventHandler<TEvent, TResult>(
  fn: (event: TEvent, context: Context) => Promise<TResult>,
): middy.MiddyfiedHandler<TEvent, TResult, Error, Context> {
  return middy<TEvent, TResult, Error, Context>()
    .use({
      before: (request) => {
        logger.addContext(request.context);
      },
      after: () => logger.resetKeys(),
      onError: (request) => {
        const error = request.error;
        logger.error('invocation failed', {
          error: describeError(error),
        });
        logger.resetKeys();
      },
    })
    .handler(fn);
}
