import { createServer, type Server } from 'node:http';
import {
  DescribeJobDefinitionsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { setEnv } from '../helpers/env';
import { mockJobQueue } from '../helpers/job-queue';
import { postJobsEvent } from '../helpers/submit-job-harness';
import { batchMock, FakeAws, SECRET_ARN, secretsMock } from './fake-aws';

// POST /jobs with the real registry client against local servers that behave as the cited
// registries document: the caller sees the status the registry's answer deserves, and the
// gateway keeps its cached secret unless the credentials themselves were refused.

const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const USER = { username: 'ci-bot', password: 'pw-Leak-Canary-fidelity' };
const BASIC = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
const context = { functionName: 'faults', awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;

const servers: Server[] = [];
let ghcrHost: string;
let hubHost: string;
let submitJob: (event: HttpEvent, context: Context) => Promise<HttpResult>;
let clearCaches: () => void;
let restoreEnv: (() => void) | undefined;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  // GHCR (akuity/kargo issue 4293): the token endpoint logs the credentials in without a scope
  // and answers 403 DENIED for a repository they cannot read.
  ghcrHost = await listen(
    createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://ghcr.invalid');
      if (url.pathname === '/token') {
        const scope = url.searchParams.get('scope');
        if (request.headers.authorization !== BASIC)
          response.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        else if (scope === null) response.writeHead(200).end('{"token":"login"}');
        else
          response
            .writeHead(403)
            .end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
        return;
      }
      response
        .writeHead(401, { 'www-authenticate': `Bearer realm="http://${ghcrHost}/token",service="ghcr.io"` })
        .end();
    }),
  );
  // Docker Hub past its pull rate limit (docs.docker.com/docker-hub/usage/): 429 TOOMANYREQUESTS.
  hubHost = await listen(
    createServer((_request, response) => {
      response
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' })
        .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}');
    }),
  );
  restoreEnv = setEnv({
    AWS_REGION: 'us-east-1',
    REGISTRY_SECRET_ARN: SECRET_ARN,
    JOB_QUEUE: 'private-registry-jobs',
    SECRET_CACHE_SECONDS: '60',
    IMAGE_CACHE_SECONDS: '0',
    REGISTRY_TIMEOUT_MS: '2000',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-test-execution',
  });
  const submit = await import('../../handlers/submit-job');
  submitJob = submit.handler;
  clearCaches = () => submit.submitter.clearCaches();
});

afterAll(async () => {
  restoreEnv?.();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

/** Neither a job definition was looked up or registered nor a job submitted (the queue may be learned). */
function expectNoJobDefinitionOrJob(): void {
  expect(batchMock).not.toHaveReceivedCommand(DescribeJobDefinitionsCommand);
  expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
  expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
}

beforeEach(() => {
  batchMock.reset();
  secretsMock.reset();
  const fake = new FakeAws();
  fake.addSecretVersion(
    CURRENT,
    JSON.stringify({
      registries: [
        { registry_url: `http://${ghcrHost}`, ...USER },
        { registry_url: `http://${hubHost}`, ...USER },
      ],
    }),
    ['AWSCURRENT'],
  );
  fake.install();
  mockJobQueue(batchMock, 'private-registry-jobs');
  clearCaches();
  jest.spyOn(process.stdout, 'write').mockReturnValue(true);
  jest.spyOn(process.stderr, 'write').mockReturnValue(true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

it('answers 422 for a GHCR repository the good credentials cannot read, and keeps the cached secret', async () => {
  // act
  const first = await submitJob(postJobsEvent({ image: `${ghcrHost}/someone-else/private:1` }), context);
  const second = await submitJob(postJobsEvent({ image: `${ghcrHost}/someone-else/private:2` }), context);

  // assert
  expect([first.statusCode, second.statusCode]).toEqual([422, 422]);
  expect(JSON.parse(first.body ?? '{}').detail).toBe(
    `The image ${ghcrHost}/someone-else/private:1 does not exist in the registry ${ghcrHost}, or the gateway's credentials cannot read it.`,
  );
  expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  expectNoJobDefinitionOrJob();
});

it("answers 429 with Docker Hub's Retry-After when it throttles", async () => {
  // act
  const result = await submitJob(postJobsEvent({ image: `${hubHost}/library/alpine:3` }), context);

  // assert
  expect(result.statusCode).toBe(429);
  expect(result.headers?.['retry-after']).toBe('3600');
  expect(JSON.parse(result.body ?? '{}')).toMatchObject({
    status: 429,
    detail: `The registry ${hubHost} is throttling the gateway's requests; retry after 3600 seconds.`,
  });
  expect(result.body).not.toContain('Leak-Canary');
  expectNoJobDefinitionOrJob();
});
