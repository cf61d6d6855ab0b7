import {
  BatchClient,
  DescribeJobDefinitionsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { RegistryClient } from '../../lib/registry/client';
import { loadFixture } from './fixtures';
import {
  GATEWAY_ENV,
  invokeHttp,
  JOB_ID,
  lambdaContext,
  loadHandlerModule,
  QUEUE,
  REGISTRY_SECRET_ARN,
} from './handler-harness';
import { mockJobQueue } from './job-queue';

// What the POST /jobs suites set up alike: the configuration, Batch and Secrets Manager mocked in
// the shapes of the API references, the registry's manifest check stubbed, the handler module
// loaded as on a cold start, the request built from the post-jobs fixture.

/**
 * Idempotency-Key records on (the table of fake-idempotency-table.ts); per-task credentials (SPEC
 * §11) off, being another suite's subject.
 */
export const IDEMPOTENCY_ENV: Readonly<Record<string, string>> = {
  TASK_CREDENTIALS: 'false',
  IDEMPOTENCY_TABLE: 'brg-idempotency',
};

/** One entry of the registry secret (SPEC §5). */
export interface StoredRegistry {
  readonly registry_url: string;
  readonly username: string;
  readonly password: string;
}

export interface SubmitJobHarnessOptions {
  /** Set on top of GATEWAY_ENV. */
  readonly env: Readonly<Record<string, string>>;
  /** What the registry secret holds. */
  readonly registries: readonly StoredRegistry[];
}

export interface SubmitJobHarness {
  /** Reset before each test, then set up as submitJobHarness says. */
  readonly batchMock: AwsClientStub<BatchClient>;
  /** Reset before each test, then set up as submitJobHarness says. */
  readonly secretsMock: AwsClientStub<SecretsManagerClient>;
  /** RegistryClient's manifest check: reset before each test to answer that the image exists. */
  readonly manifestExists: jest.SpiedFunction<RegistryClient['manifestExists']>;
  /** Calls the handler; the context has the request id only unless the test gives one. */
  readonly handle: (event: HttpEvent, context?: Context) => Promise<HttpResult>;
  /** Calls the handler and parses the body of its answer. */
  readonly invoke: (
    event: HttpEvent,
    context?: Context,
  ) => Promise<{ result: HttpResult; body: Record<string, unknown> }>;
}

/**
 * Sets up a POST /jobs suite; call it once, at the top of the test file. Before each test, after
 * resetting the mocks and the handler's caches: the registry secret holds `options.registries`,
 * every credential secret exists, the queue is QUEUE on one EC2 compute environment (mockJobQueue),
 * no job definition exists yet, a registered one gets revision 1, SubmitJob answers JOB_ID and every
 * image exists. A test or a later beforeEach overrides any of it.
 */
export function submitJobHarness(options: SubmitJobHarnessOptions): SubmitJobHarness {
  const batchMock = mockClient(BatchClient);
  const secretsMock = mockClient(SecretsManagerClient);
  const manifestExists = jest.spyOn(RegistryClient.prototype, 'manifestExists');
  const handlerModule = loadHandlerModule(
    { ...GATEWAY_ENV, ...options.env },
    () => import('../../handlers/submit-job'),
  );

  beforeEach(() => {
    batchMock.reset();
    secretsMock.reset();
    handlerModule().submitter.clearCaches();
    secretsMock.on(GetSecretValueCommand).resolves({
      ARN: REGISTRY_SECRET_ARN,
      Name: 'brg/registries',
      VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      VersionStages: ['AWSCURRENT'],
      SecretString: JSON.stringify({ registries: options.registries }),
    });
    secretsMock.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => ({
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.SecretId}-Ab12Cd`,
      Name: input.SecretId,
      VersionIdsToStages: { 'b2c3d4e5-6789-01bc-def0-EXAMPLE22222': ['AWSCURRENT'] },
    }));
    mockJobQueue(batchMock, QUEUE);
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [] });
    batchMock.on(RegisterJobDefinitionCommand).callsFake((input: { jobDefinitionName: string }) => ({
      jobDefinitionName: input.jobDefinitionName,
      jobDefinitionArn: jobDefinitionArn(input.jobDefinitionName, 1),
      revision: 1,
    }));
    batchMock.on(SubmitJobCommand).callsFake((input: { jobName: string }) => ({
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
      jobName: input.jobName,
      jobId: JOB_ID,
    }));
    manifestExists.mockReset().mockResolvedValue(true);
  });

  afterAll(() => {
    manifestExists.mockRestore();
  });

  return {
    batchMock,
    secretsMock,
    manifestExists,
    handle: (event, context = lambdaContext()) => handlerModule().handler(event, context),
    invoke: (event, context = lambdaContext()) => invokeHttp(handlerModule(), event, context),
  };
}

/** The ARN Batch gives revision `revision` of the job definition `name`. */
export function jobDefinitionArn(name: string, revision: number): string {
  return `arn:aws:batch:us-east-1:123456789012:job-definition/${name}:${revision}`;
}

/**
 * The post-jobs fixture (the caller assumed-role/job-submitter/pipeline-run-42) with `body` (JSON
 * text as it is, anything else as JSON), an Idempotency-Key header and another caller when given.
 */
export function postJobsEvent(body: unknown, options: { key?: string; userArn?: string } = {}): HttpEvent {
  const event = loadFixture<HttpEvent>('http/post-jobs.json');
  event.body = typeof body === 'string' ? body : JSON.stringify(body);
  if (options.key !== undefined) event.headers['idempotency-key'] = options.key;
  if (options.userArn !== undefined) event.requestContext.authorizer.iam.userArn = options.userArn;
  return event;
}

/** The job id acceptJob gives the `n`th job (from 1). */
export function numberedJobId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Records a submission in `jobs` and answers it as SubmitJob does, with the next numbered job id. */
export function acceptJob(jobs: SubmitJobCommandInput[], input: SubmitJobCommandInput) {
  jobs.push(input);
  const jobId = numberedJobId(jobs.length);
  return { jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`, jobName: input.jobName, jobId };
}
