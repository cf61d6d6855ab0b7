import {
  BatchClient,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  type DescribeJobsCommandInput,
  type JobDetail,
  type JobStatus,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { logger } from '../../lib/logger';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';
import {
  grammarAlphabetStringArb,
  hugeStringArb,
  mutate,
  mutationArb,
  secretTextArb,
  unicodeStringArb,
} from './arbitraries';

type GetJobModule = typeof import('../../handlers/get-job');
type CancelJobModule = typeof import('../../handlers/cancel-job');
type ListRegistriesModule = typeof import('../../handlers/list-registries');

const QUEUE = 'private-registry-jobs';
const QUEUE_ARN = `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`;
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:brg/registries-AbCdEf';
const DEFINITION_ARN =
  'arn:aws:batch:us-east-1:123456789012:job-definition/brg-registry-example-com-team-app-1-0a1b2c3d4e5f:1';
const IMAGE = 'registry.example.com/team/app:1';
// A job id of the API: a UUID, or <uuid>:<index> for a child of an array job (SPEC §15).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[0-9]{1,4})?$/i;
const ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  REGISTRY_SECRET_ARN: SECRET_ARN,
  JOB_QUEUE: QUEUE,
  ALLOWED_REGISTRIES: 'public.ecr.aws',
};
const STATUSES: readonly JobStatus[] = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
];

const batchMock = mockClient(BatchClient);
const secretsMock = mockClient(SecretsManagerClient);
const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;
let restoreEnv: (() => void) | undefined;
let getJob: GetJobModule;
let cancelJob: CancelJobModule;
let listRegistries: ListRegistriesModule;

/** What Batch knows about the asked job in the current run. */
interface Scenario {
  readonly presence: 'missing' | 'other-queue' | 'on-queue';
  readonly status: JobStatus;
  readonly imageOnJob: boolean;
}

let scenario: Scenario = { presence: 'missing', status: 'RUNNING', imageOnJob: true };
/** The SecretString of AWSCURRENT in the current run; undefined: a binary secret. */
let storedSecret: string | undefined;

function jobDetail(jobId: string): JobDetail {
  return {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
    jobName: 'app-1',
    jobId,
    jobQueue:
      scenario.presence === 'on-queue' ? QUEUE_ARN : 'arn:aws:batch:us-east-1:123456789012:job-queue/other',
    status: scenario.status,
    createdAt: 1741947302417,
    // Batch's JobDetail declares startedAt as present; it is undefined until the job starts.
    startedAt: scenario.status === 'RUNNING' ? 1741947362000 : undefined,
    jobDefinition: DEFINITION_ARN,
    container: scenario.imageOnJob ? { image: IMAGE, exitCode: 0 } : {},
    // Owned by the fixtures' caller (SPEC §14).
    tags: { 'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/job-submitter' },
  };
}

beforeAll(async () => {
  restoreEnv = setEnv(ENV);
  getJob = await import('../../handlers/get-job');
  cancelJob = await import('../../handlers/cancel-job');
  listRegistries = await import('../../handlers/list-registries');
  logger.setLogLevel('SILENT');
});

afterAll(() => {
  restoreEnv?.();
});

beforeEach(() => {
  batchMock.reset();
  secretsMock.reset();
  batchMock.on(DescribeJobsCommand).callsFake((input: DescribeJobsCommandInput) => ({
    jobs: scenario.presence === 'missing' ? [] : (input.jobs ?? []).map(jobDetail),
  }));
  batchMock.on(DescribeJobDefinitionsCommand).resolves({
    jobDefinitions: [
      {
        jobDefinitionName: 'brg-registry-example-com-team-app-1-0a1b2c3d4e5f',
        jobDefinitionArn: DEFINITION_ARN,
        revision: 1,
        status: 'ACTIVE',
        type: 'container',
        containerProperties: { image: IMAGE },
      },
    ],
  });
  batchMock.on(TerminateJobCommand).resolves({});
  secretsMock.on(GetSecretValueCommand).callsFake(() => ({
    ARN: SECRET_ARN,
    Name: 'brg/registries',
    VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    VersionStages: ['AWSCURRENT'],
    ...(storedSecret === undefined
      ? { SecretBinary: new Uint8Array([1, 2, 3]) }
      : { SecretString: storedSecret }),
  }));
});

function expectProblem(result: HttpResult): void {
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  const body: unknown = JSON.parse(result.body ?? '');
  expect(body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status: result.statusCode,
    detail: expect.any(String),
  });
}

// ---------------------------------------------------------------------------------------------
// GET and DELETE /jobs/{jobId}
// ---------------------------------------------------------------------------------------------

const jobIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid().map((id) => `${id}:0`) },
  { weight: 2, arbitrary: fc.tuple(fc.uuid(), mutationArb).map(([id, mutation]) => mutate(id, mutation)) },
  { weight: 2, arbitrary: unicodeStringArb },
  { weight: 1, arbitrary: grammarAlphabetStringArb },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '..',
      '../registries',
      '%2e%2e',
      '%00',
      '\u0000',
      'null',
      '__proto__',
      '*',
    ),
  },
  { weight: 1, arbitrary: hugeStringArb },
);

/** The path parameters as API Gateway might pass them, and a few shapes it should not. */
const pathParametersArb: fc.Arbitrary<Record<string, string> | undefined> = fc.oneof(
  { weight: 12, arbitrary: jobIdArb.map((jobId) => ({ jobId })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string> | undefined>(
      undefined,
      {},
      {
        id: '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b',
      },
    ),
  },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  presence: fc.constantFrom('missing', 'other-queue', 'on-queue'),
  status: fc.constantFrom(...STATUSES),
  imageOnJob: fc.boolean(),
});

function jobEvent(fixture: string, pathParameters: Record<string, string> | undefined): HttpEvent {
  const event = loadFixture<HttpEvent>(fixture);
  if (pathParameters === undefined) delete event.pathParameters;
  else event.pathParameters = pathParameters;
  return event;
}

/** The status a UUID job id must get; anything else must be 400 or 404. */
function expectedStatus(
  method: 'GET' | 'DELETE',
  jobId: string | undefined,
  current: Scenario,
): number | readonly number[] {
  if (jobId === undefined || !UUID.test(jobId)) return [400, 404];
  if (current.presence !== 'on-queue') return 404;
  if (method === 'GET') return 200;
  return current.status === 'SUCCEEDED' || current.status === 'FAILED' ? 409 : 202;
}

describe('GET /jobs/{jobId} and DELETE /jobs/{jobId} handlers (properties)', () => {
  it.each([
    ['GET', 'http/get-job.json'],
    ['DELETE', 'http/delete-job.json'],
  ] as const)('%s answers only 200/202/400/404/409, as the job and its id say', async (method, fixture) => {
    const handler = method === 'GET' ? getJob.handler : cancelJob.handler;

    await fc.assert(
      fc.asyncProperty(pathParametersArb, scenarioArb, async (pathParameters, current) => {
        scenario = current;
        getJob.tracker.clear();
        cancelJob.tracker.clear();
        const jobId = pathParameters?.jobId;

        const result = await handler(jobEvent(fixture, pathParameters), context);
        await new Promise((resolve) => setImmediate(resolve));

        const expected = expectedStatus(method, jobId, current);
        if (typeof expected === 'number') expect(result.statusCode).toBe(expected);
        else expect(expected).toContain(result.statusCode);
        if ((result.statusCode ?? 0) >= 400) {
          expectProblem(result);
        } else {
          expect(result.headers?.['content-type']).toBe('application/json');
          const body: unknown = JSON.parse(result.body ?? '');
          expect(body).toMatchObject(
            method === 'GET'
              ? {
                  jobId,
                  jobName: 'app-1',
                  status: current.status,
                  image: IMAGE,
                  createdAt: '2025-03-14T10:15:02.417Z',
                }
              : { jobId, status: current.status },
          );
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// GET /registries over generated secrets
// ---------------------------------------------------------------------------------------------

describe('GET /registries handler (properties)', () => {
  it('answers 200 with names only or 502 naming the rule, and never quotes a credential, for any stored secret', async () => {
    const secretArb = fc.oneof(
      { weight: 20, arbitrary: secretTextArb },
      { weight: 1, arbitrary: fc.constant({ text: undefined, tokens: [] }) },
    );

    await fc.assert(
      fc.asyncProperty(secretArb, async ({ text, tokens }) => {
        storedSecret = text;
        listRegistries.registrySecret.invalidate();

        const result = await listRegistries.handler(
          loadFixture<HttpEvent>('http/get-registries.json'),
          context,
        );
        await new Promise((resolve) => setImmediate(resolve));

        expect([200, 502]).toContain(result.statusCode);
        for (const token of tokens) expect(result.body).not.toContain(token);
        if (result.statusCode === 502) {
          expectProblem(result);
        } else {
          const body = JSON.parse(result.body ?? '') as { registries: string[] };
          expect(Object.keys(body)).toEqual(['registries']);
          expect(body.registries).toContain('public.ecr.aws');
          expect(body.registries).toEqual([...new Set(body.registries)].sort());
          for (const name of body.registries) expect(name).toMatch(/^[a-z0-9.:[\]-]+$/);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
