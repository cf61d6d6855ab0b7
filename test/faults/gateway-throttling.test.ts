import {
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  type JobDetail,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { RegistryClient } from '../../lib/registry/client';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';
import { JOB_ID, QUEUE, QUEUE_ARN } from '../helpers/handler-harness';
import { jobDetail } from '../helpers/job-read-harness';
import { computeEnvironment, SECRET_STRING } from '../lib/rollout/fakes';
import { batchMock, batchThrottled, SECRET_ARN, secretsMock, secretsThrottled } from './fake-aws';

// Throttling on every AWS call the gateway makes: the caller gets 429 with Retry-After, never a
// 5xx, and the same request after the throttle clears goes through exactly once.

type Route = 'submitJob' | 'getJob' | 'cancelJob' | 'listRegistries';
type GatewayCall =
  | 'GetSecretValue'
  | 'DescribeSecret'
  | 'DescribeJobQueues'
  | 'DescribeComputeEnvironments'
  | 'DescribeJobDefinitions'
  | 'RegisterJobDefinition'
  | 'SubmitJob'
  | 'DescribeJobs'
  | 'TerminateJob';

const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const DEFINITION_ARN = 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-app:1';
const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;
const ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  REGISTRY_SECRET_ARN: SECRET_ARN,
  JOB_QUEUE: QUEUE,
  SECRET_CACHE_SECONDS: '0',
  IMAGE_CACHE_SECONDS: '0',
  EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-test-execution',
};

type Handler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
let handlers: Record<Route, Handler>;
let clearCaches: () => void;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  restoreEnv = setEnv(ENV);
  const [submit, get, cancel, list] = await Promise.all([
    import('../../handlers/submit-job'),
    import('../../handlers/get-job'),
    import('../../handlers/cancel-job'),
    import('../../handlers/list-registries'),
  ]);
  handlers = {
    submitJob: submit.handler,
    getJob: get.handler,
    cancelJob: cancel.handler,
    listRegistries: list.handler,
  };
  clearCaches = () => {
    submit.submitter.clearCaches();
    get.tracker.clear();
    cancel.tracker.clear();
    list.registrySecret.invalidate();
  };
});

afterAll(() => {
  restoreEnv?.();
});

/** Calls that are throttled right now; each mock checks it first. */
let throttled: Set<GatewayCall>;
let submitted: string[];

/** A job of the gateway's queue, with a container that names no image (so getJob reads the definition). */
function job(overrides: Partial<JobDetail> = {}): JobDetail {
  return jobDetail({
    jobDefinition: DEFINITION_ARN,
    container: { command: ['echo'], logStreamName: `brg-app/default/${'0'.repeat(32)}` },
    ...overrides,
  });
}

beforeEach(() => {
  batchMock.reset();
  secretsMock.reset();
  clearCaches();
  throttled = new Set();
  submitted = [];
  const gate = (call: GatewayCall) => {
    if (!throttled.has(call)) return;
    throw call === 'GetSecretValue' || call === 'DescribeSecret' ? secretsThrottled() : batchThrottled();
  };
  secretsMock.on(DescribeSecretCommand).callsFake((input) => {
    gate('DescribeSecret');
    return {
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.SecretId}-Ab12Cd`,
      Name: input.SecretId,
    };
  });
  const environment = computeEnvironment('ce-queue');
  batchMock.on(DescribeJobQueuesCommand).callsFake(() => {
    gate('DescribeJobQueues');
    return {
      jobQueues: [
        {
          jobQueueName: QUEUE,
          jobQueueArn: QUEUE_ARN,
          state: 'ENABLED',
          status: 'VALID',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment: environment.computeEnvironmentArn }],
        },
      ],
    };
  });
  batchMock.on(DescribeComputeEnvironmentsCommand).callsFake(() => {
    gate('DescribeComputeEnvironments');
    return { computeEnvironments: [environment] };
  });
  secretsMock.on(GetSecretValueCommand).callsFake(() => {
    gate('GetSecretValue');
    return {
      ARN: SECRET_ARN,
      Name: 'batch-registry-credentials',
      VersionId: CURRENT,
      SecretString: SECRET_STRING,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date('2025-03-04T10:00:00Z'),
    };
  });
  batchMock.on(DescribeJobDefinitionsCommand).callsFake((input) => {
    gate('DescribeJobDefinitions');
    if (input.jobDefinitions) {
      return {
        jobDefinitions: [
          {
            jobDefinitionName: 'brg-app',
            jobDefinitionArn: DEFINITION_ARN,
            revision: 1,
            status: 'ACTIVE',
            type: 'container',
            containerProperties: { image: 'registry.example.com/team/app:1' },
          },
        ],
      };
    }
    return { jobDefinitions: [] };
  });
  batchMock.on(RegisterJobDefinitionCommand).callsFake((input) => {
    gate('RegisterJobDefinition');
    return {
      jobDefinitionName: input.jobDefinitionName,
      jobDefinitionArn: `arn:aws:batch:us-east-1:123456789012:job-definition/${input.jobDefinitionName}:1`,
      revision: 1,
    };
  });
  batchMock.on(SubmitJobCommand).callsFake((input) => {
    gate('SubmitJob');
    submitted.push(String(input.jobName));
    return {
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
      jobName: input.jobName,
      jobId: JOB_ID,
    };
  });
  batchMock.on(DescribeJobsCommand).callsFake(() => {
    gate('DescribeJobs');
    return { jobs: [job()] };
  });
  batchMock.on(TerminateJobCommand).callsFake(() => {
    gate('TerminateJob');
    return {};
  });
  jest.spyOn(RegistryClient.prototype, 'manifestExists').mockResolvedValue(true);
  // The handlers' log lines (Powertools writes to stdout) are not what these tests look at.
  jest.spyOn(process.stdout, 'write').mockReturnValue(true);
  jest.spyOn(process.stderr, 'write').mockReturnValue(true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

function request(route: Route): HttpEvent {
  switch (route) {
    case 'submitJob': {
      const event = loadFixture<HttpEvent>('http/post-jobs.json');
      event.body = JSON.stringify({ image: 'registry.example.com/team/app:1', command: ['echo', 'hi'] });
      return event;
    }
    case 'getJob':
      return loadFixture<HttpEvent>('http/get-job.json');
    case 'cancelJob':
      return loadFixture<HttpEvent>('http/delete-job.json');
    case 'listRegistries':
      return loadFixture<HttpEvent>('http/get-registries.json');
  }
}

const SUCCESS: Record<Route, number> = { submitJob: 202, getJob: 200, cancelJob: 202, listRegistries: 200 };

function expectThrottledAnswer(result: HttpResult): void {
  expect(result.statusCode).toBe(429);
  expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '2' });
  const body = JSON.parse(result.body ?? '{}') as Record<string, unknown>;
  expect(body).toMatchObject({ status: 429, title: 'Too Many Requests' });
  expect(String(body.detail)).toMatch(/retry after 2 seconds/);
  // The AWS error (name, message, request id) is never echoed.
  expect(result.body).not.toMatch(/Rate exceeded|TooManyRequestsException|ThrottlingException|8000-/);
}

describe('gateway under AWS throttling', () => {
  it.each<[Route, GatewayCall, (() => void) | undefined]>([
    ['submitJob', 'GetSecretValue', undefined],
    ['submitJob', 'DescribeJobQueues', undefined],
    ['submitJob', 'DescribeComputeEnvironments', undefined],
    ['submitJob', 'DescribeSecret', undefined],
    ['submitJob', 'DescribeJobDefinitions', undefined],
    ['submitJob', 'RegisterJobDefinition', undefined],
    ['submitJob', 'SubmitJob', undefined],
    ['getJob', 'DescribeJobs', undefined],
    [
      'getJob',
      'DescribeJobDefinitions',
      () =>
        batchMock.on(DescribeJobsCommand).callsFake(() => {
          if (throttled.has('DescribeJobs')) throw batchThrottled();
          return { jobs: [job({ container: { command: ['echo'] } })] };
        }),
    ],
    ['cancelJob', 'DescribeJobs', undefined],
    ['cancelJob', 'TerminateJob', undefined],
    ['listRegistries', 'GetSecretValue', undefined],
  ])(
    '%s answers 429 with Retry-After when %s is throttled, then succeeds once it clears',
    async (route, call, prepare) => {
      prepare?.();
      throttled.add(call);

      const first = await handlers[route](request(route), context);
      throttled.clear();
      const second = await handlers[route](request(route), context);

      expectThrottledAnswer(first);
      expect(second.statusCode).toBe(SUCCESS[route]);
      if (route === 'submitJob') expect(submitted).toEqual(['app-1']);
      if (call === 'DescribeJobDefinitions' && route === 'getJob') {
        expect(JSON.parse(second.body ?? '{}')).toMatchObject({ image: 'registry.example.com/team/app:1' });
      }
    },
  );

  it.each<Route>(['submitJob', 'getJob', 'cancelJob', 'listRegistries'])(
    '%s never answers 5xx while every AWS call is throttled',
    async (route) => {
      for (const call of [
        'GetSecretValue',
        'DescribeSecret',
        'DescribeJobQueues',
        'DescribeComputeEnvironments',
        'DescribeJobDefinitions',
        'RegisterJobDefinition',
        'SubmitJob',
        'DescribeJobs',
        'TerminateJob',
      ] as const) {
        throttled.add(call);
      }

      const results = await Promise.all(
        Array.from({ length: 5 }, () => handlers[route](request(route), context)),
      );

      for (const result of results) expectThrottledAnswer(result);
      expect(submitted).toEqual([]);
    },
  );
});
