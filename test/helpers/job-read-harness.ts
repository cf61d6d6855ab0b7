import { BatchClient, type JobDetail } from '@aws-sdk/client-batch';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { HttpEvent, HttpResult } from '../../lib/http';
import {
  GATEWAY_ENV,
  type HttpHandlerModule,
  invokeHttp,
  JOB_ID,
  lambdaContext,
  loadHandlerModule,
  OWNER,
  QUEUE_ARN,
} from './handler-harness';

// What the suites of the routes that read one job (GET /jobs/{jobId}, GET /jobs/{jobId}/logs) set
// up alike: the configuration, a mocked Batch client reset before each test, the handler module and
// a job of the gateway's queue as DescribeJobs returns it.

export const DEFINITION_ARN =
  'arn:aws:batch:us-east-1:123456789012:job-definition/brg-registry-example-com-team-app-1-0a1b2c3d4e5f:1';

/**
 * A job of the gateway's queue as DescribeJobs returns it: JOB_ID, started and still running,
 * tagged as OWNER's; `overrides` replace whole fields.
 */
export function jobDetail(overrides: Partial<JobDetail> = {}): JobDetail {
  return {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
    jobName: 'app-1',
    jobId: JOB_ID,
    jobQueue: QUEUE_ARN,
    status: 'RUNNING',
    attempts: [],
    createdAt: 1741947302417,
    startedAt: 1741947362000,
    dependsOn: [],
    jobDefinition: DEFINITION_ARN,
    container: { image: 'registry.example.com/team/app:1' },
    platformCapabilities: ['EC2'],
    tags: { 'batch-registry-gateway:owner': OWNER },
    ...overrides,
  };
}

export interface JobReadHarness<M extends HttpHandlerModule> {
  /** Reset before each test. */
  readonly batchMock: AwsClientStub<BatchClient>;
  /** The loaded handler module. */
  readonly handlerModule: () => M;
  /** Calls the handler with `event` (a fixture of test/fixtures/http/, changed by the test). */
  readonly invoke: <Body = Record<string, unknown>>(
    event: HttpEvent,
  ) => Promise<{ result: HttpResult; body: Body }>;
}

/**
 * Sets up a suite of a job-reading handler: `env` on top of GATEWAY_ENV, the module from `load`,
 * Batch mocked and reset before each test. Call it once, at the top of the test file.
 */
export function jobReadHarness<M extends HttpHandlerModule>(
  env: Readonly<Record<string, string>>,
  load: () => Promise<M>,
): JobReadHarness<M> {
  const batchMock = mockClient(BatchClient);
  const handlerModule = loadHandlerModule({ ...GATEWAY_ENV, ...env }, load);

  beforeEach(() => {
    batchMock.reset();
  });

  return {
    batchMock,
    handlerModule,
    invoke: (event) => invokeHttp(handlerModule(), event, lambdaContext()),
  };
}
