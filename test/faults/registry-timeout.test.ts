import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { SubmitJobCommand } from '@aws-sdk/client-batch';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { CredentialCheckError } from '../../lib/rollout/credentials';
import { loadEvent } from '../fixtures/events/load';
import { setEnv } from '../helpers/env';
import { mockJobQueue } from '../helpers/job-queue';
import { postJobsEvent } from '../helpers/submit-job-harness';
import { batchMock, ec2Mock, FakeAws, LT_ID, SECRET_ARN, secretsMock } from './fake-aws';

// A registry that accepts the TCP connection and never answers, and one whose token service does
// that: with REGISTRY_TIMEOUT_MS small, the gateway answers 504 with Retry-After naming the
// registry (not a hung request), and the rollout stops before any EC2 or Batch call. A registry
// whose every answer is slow but within the timeout is cut off by REGISTRY_DEADLINE_MS, one
// deadline for the whole manifest check (issue 17 item 8).

const TIMEOUT_MS = 300;
const DEADLINE_MS = 500;
const SLOW_ANSWER_MS = 200;
const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const context = { functionName: 'faults', awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;

let silent: Server;
const sockets = new Set<Socket>();
let challenger: HttpServer;
let silentHost: string;
let challengerHost: string;
let slow: HttpServer;
let slowHost: string;
let submitJob: (event: HttpEvent, context: Context) => Promise<HttpResult>;
let onSecretChanged: (event: unknown, context: Context) => Promise<void>;
let rotateSecret: (event: unknown, context: Context) => Promise<void>;
let restoreEnv: (() => void) | undefined;

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const silentPort = await listen(silent);
  silentHost = `127.0.0.1:${silentPort}`;
  // A registry that answers at once, sending every client to the silent token service.
  challenger = createHttpServer((_request, response) => {
    response
      .writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${silentHost}/token",service="silent-registry"`,
      })
      .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
  });
  challengerHost = `127.0.0.1:${await listen(challenger)}`;
  // A registry with token auth whose every answer takes SLOW_ANSWER_MS: three of them pass the deadline.
  slow = createHttpServer((request, response) => {
    setTimeout(() => {
      if (request.url?.startsWith('/token')) response.writeHead(200).end('{"token":"t"}');
      else if (request.headers.authorization === 'Bearer t') response.writeHead(200).end();
      else response.writeHead(401, { 'www-authenticate': `Bearer realm="http://${slowHost}/token"` }).end();
    }, SLOW_ANSWER_MS);
  });
  slowHost = `127.0.0.1:${await listen(slow)}`;

  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    REGISTRY_SECRET_ARN: SECRET_ARN,
    LAUNCH_TEMPLATE_ID: LT_ID,
    COMPUTE_ENVIRONMENTS: 'ce-ondemand',
    JOB_QUEUE: 'private-registry-jobs',
    REGISTRY_TIMEOUT_MS: String(TIMEOUT_MS),
    REGISTRY_DEADLINE_MS: String(DEADLINE_MS),
    ALLOWED_REGISTRIES: `http://${slowHost}`,
    SECRET_CACHE_SECONDS: '0',
    IMAGE_CACHE_SECONDS: '0',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-test-execution',
  };
  restoreEnv = setEnv(env);
  ({ handler: submitJob } = await import('../../handlers/submit-job'));
  ({ handler: onSecretChanged } = await import('../../handlers/on-secret-changed'));
  ({ handler: rotateSecret } = await import('../../handlers/rotate-secret'));
});

afterAll(async () => {
  restoreEnv?.();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  challenger.closeAllConnections();
  await new Promise((resolve) => challenger.close(resolve));
  slow.closeAllConnections();
  await new Promise((resolve) => slow.close(resolve));
});

let fake: FakeAws;

beforeEach(() => {
  ec2Mock.reset();
  batchMock.reset();
  secretsMock.reset();
  fake = new FakeAws();
  const secret = JSON.stringify({
    registries: [
      { registry_url: `http://${silentHost}`, username: 'bot', password: 'pw-timeout-1' },
      { registry_url: `http://${challengerHost}`, username: 'bot', password: 'pw-timeout-2' },
    ],
  });
  fake.addSecretVersion(CURRENT, secret, ['AWSCURRENT']);
  // New passwords: a pending value equal to AWSCURRENT's is Secrets Manager's configuration test.
  fake.addSecretVersion(TOKEN, secret.replaceAll('pw-timeout-', 'pw-rotated-'), ['AWSPENDING']);
  fake.install();
  mockJobQueue(batchMock, 'private-registry-jobs');
  jest.spyOn(process.stdout, 'write').mockReturnValue(true);
  jest.spyOn(process.stderr, 'write').mockReturnValue(true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

async function thrown(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a registry that never answers', () => {
  it.each([
    ['the registry itself times out', () => silentHost],
    ['its token service times out', () => challengerHost],
    ['every answer of a slow registry adds up past REGISTRY_DEADLINE_MS', () => slowHost],
  ])('POST /jobs answers 504 with Retry-After naming the registry when %s', async (_case, host) => {
    const registry = host();

    const { value: result, ms } = await timed(
      submitJob(postJobsEvent({ image: `${registry}/team/app:1` }), context),
    );

    expect(result.statusCode).toBe(504);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(result.headers?.['retry-after']).toBe('10');
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({
      status: 504,
      detail: `The registry ${registry} did not answer in time; retry after 10 seconds.`,
    });
    expect(ms).toBeLessThan(TIMEOUT_MS * 10);
    expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('onSecretChanged fails naming both registries before any EC2 or Batch call', async () => {
    const { value: error } = await timed(thrown(onSecretChanged(loadEvent('putSecretValue'), context)));

    expect(error).toBeInstanceOf(CredentialCheckError);
    const message = error instanceof Error ? error.message : '';
    expect(message).toContain(`${silentHost} (no HTTP status: timeout)`);
    expect(message).toContain(`${challengerHost} (no HTTP status: timeout)`);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock.calls()).toHaveLength(0);
    expect(fake.journal).toEqual([]);
  });

  it.each(['testSecret', 'finishSecret'])(
    'rotation %s fails before any EC2 or Batch call and leaves AWSCURRENT where it was',
    async (Step) => {
      const error = await thrown(
        rotateSecret({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step }, context),
      );

      expect(error).toBeInstanceOf(CredentialCheckError);
      expect(error instanceof Error ? error.message : '').toContain(
        `${silentHost} (no HTTP status: timeout)`,
      );
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(batchMock.calls()).toHaveLength(0);
      expect(secretsMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
      expect(fake.currentVersion()).toBe(CURRENT);
    },
  );
});
