import { BatchServiceException } from '@aws-sdk/client-batch';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { setEnv } from './env';

/** The gateway's job queue in the handler suites. */
export const QUEUE = 'private-registry-jobs';
export const QUEUE_ARN = `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`;
export const REGISTRY_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:brg/registries-AbCdEf';
/** The Batch job id the suites' jobs have unless a suite numbers them. */
export const JOB_ID = '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b';
/** The owner key of the caller of the fixtures in test/fixtures/http/ (assumed-role/job-submitter/pipeline-run-42). */
export const OWNER = 'arn:aws:sts::123456789012:assumed-role/job-submitter';
export const REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';

/** What every gateway function needs configured; a suite adds its own variables to it. */
export const GATEWAY_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  REGISTRY_SECRET_ARN,
  JOB_QUEUE: QUEUE,
};

/** A handlers/ module of an HTTP route. */
export interface HttpHandlerModule {
  handler(event: HttpEvent, context: Context): Promise<HttpResult>;
}

/**
 * Loads a handler module as a cold start does: `env` is set first (handlers read their
 * configuration at module scope), before the suite's first test, and put back after its last.
 * Returns the loaded module, for tests and hooks to call.
 */
export function loadHandlerModule<M>(env: Readonly<Record<string, string>>, load: () => Promise<M>): () => M {
  let loaded: M | undefined;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = setEnv(env);
    loaded = await load();
  });

  afterAll(() => {
    restoreEnv?.();
  });

  return () => {
    if (loaded === undefined)
      throw new Error('the handler module loads in beforeAll: use it in a test or hook');
    return loaded;
  };
}

/** A Lambda context; with `remainingMs`, one that also tells the time left in the invocation. */
export function lambdaContext(remainingMs?: number, awsRequestId = REQUEST_ID): Context {
  if (remainingMs === undefined) return { awsRequestId } as Context;
  return { awsRequestId, getRemainingTimeInMillis: () => remainingMs } as Context;
}

/** Calls an HTTP handler and parses the body of its answer (`{}` when it has none). */
export async function invokeHttp<Body = Record<string, unknown>>(
  module: HttpHandlerModule,
  event: HttpEvent,
  context: Context = lambdaContext(),
): Promise<{ result: HttpResult; body: Body }> {
  const result = await module.handler(event, context);
  return { result, body: JSON.parse(result.body ?? '{}') as Body };
}

/** TooManyRequestsException as AWS Batch returns it when it throttles (HTTP 429). */
export function batchTooManyRequests(): BatchServiceException {
  return new BatchServiceException({
    name: 'TooManyRequestsException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
    message: 'Too Many Requests',
  });
}
