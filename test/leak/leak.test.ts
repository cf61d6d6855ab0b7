import { createServer, type Server } from 'node:http';
import {
  ClientException,
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  RegisterJobDefinitionCommand,
  ServerException,
  SubmitJobCommand,
  TerminateJobCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import { CreateLaunchTemplateVersionCommand, EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { DEFAULT_REGISTRY_SECRET_PREFIX } from '../../lib/config';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { registryCredentialSecretName } from '../../lib/task-credentials/secret-name';
import { freePort } from '../../scripts/servers/processes';
import { basicAuth, pushImage, type RunningRegistry, startRegistry } from '../../scripts/servers/registry';
import {
  type AwsCall,
  batchMock,
  ec2Mock,
  FakeAws,
  LT_ID,
  SECRET_ARN,
  secretsMock,
  secretsThrottled,
} from '../faults/fake-aws';
import { loadEvent } from '../fixtures/events/load';
import { setEnv } from '../helpers/env';
import { dynamoMock, FakeIdempotencyTable } from '../helpers/fake-idempotency-table';
import { loadFixture } from '../helpers/fixtures';
import { startTokenServer, type TokenServer } from '../helpers/token-server';
import { computeEnvironment } from '../lib/rollout/fakes';
import { type Captured, capture, findLeaks, makeCanary, renderThrown } from './canary';

// Every handler runs with a secret holding a recognisable password, against real registries
// (htpasswd → Basic, a token service → Bearer) and AWS mocked with aws-sdk-client-mock. Whatever
// each produces — log lines, HTTP responses, thrown errors with their causes, every request sent to
// AWS (launch template user data decoded, job definitions, jobs) — holds the password in none of
// its forms. The one place it may appear, ecs.config on the instance, is tested in boot.test.ts.

jest.setTimeout(60000);

const canary = makeCanary();
const user = { username: canary.username, password: canary.password };
const CURRENT = '5f0a2c4e-8b1d-4d3f-a6e9-0c2b4d6f8a13';
const TOKEN = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const QUEUE = 'private-registry-jobs';
/** Where the registry credential secrets live (SPEC §11): the one place a password is meant to go. */
const CREDENTIAL_PREFIX = DEFAULT_REGISTRY_SECRET_PREFIX;
const JOB_ID = '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/brg-leak-execution';
const context = { functionName: 'leak', awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as Context;

let basicRegistry: RunningRegistry;
let tokens: TokenServer;
let bearerRegistry: RunningRegistry;
let wrongRegistry: RunningRegistry;
let closedHost: string;
/** Redirects every request to the Basic registry, as registry.k8s.io does to its upstream. */
let redirector: Server;
let redirectorHost: string;

type Handlers = {
  rotateSecret: (event: unknown, context: Context) => Promise<void>;
  onSecretChanged: (event: unknown, context: Context) => Promise<void>;
  submitJob: (event: HttpEvent, context: Context) => Promise<HttpResult>;
  getJob: (event: HttpEvent, context: Context) => Promise<HttpResult>;
  cancelJob: (event: HttpEvent, context: Context) => Promise<HttpResult>;
  listRegistries: (event: HttpEvent, context: Context) => Promise<HttpResult>;
  /** Forgets the submit function's caches (the queue's platform among them). */
  clearSubmitCaches: () => void;
};
let handlers: Handlers;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  tokens = await startTokenServer({ users: [user] });
  [basicRegistry, bearerRegistry, wrongRegistry] = await Promise.all([
    startRegistry({ kind: 'htpasswd', users: [user] }),
    startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.rootCertBundle,
    }),
    startRegistry({
      kind: 'htpasswd',
      users: [{ username: canary.username, password: 'the-registry-has-another' }],
    }),
  ]);
  closedHost = `127.0.0.1:${await freePort()}`;
  redirector = createServer((request, response) => {
    response.writeHead(307, { location: `${basicRegistry.url}${request.url ?? '/'}` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  const redirectorAddress = redirector.address();
  if (redirectorAddress === null || typeof redirectorAddress === 'string') throw new Error('no TCP address');
  redirectorHost = `127.0.0.1:${redirectorAddress.port}`;
  await pushImage(basicRegistry.url, 'team/app', '1', basicAuth(user));
  await pushImage(
    bearerRegistry.url,
    'team/app',
    '1',
    `Bearer ${tokens.issue(user.username, ['repository:team/app:pull,push'])}`,
  );

  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    REGISTRY_SECRET_ARN: SECRET_ARN,
    LAUNCH_TEMPLATE_ID: LT_ID,
    COMPUTE_ENVIRONMENTS: 'ce-ondemand',
    JOB_QUEUE: QUEUE,
    SECRET_CACHE_SECONDS: '0',
    IMAGE_CACHE_SECONDS: '0',
    REGISTRY_TIMEOUT_MS: '3000',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    EXECUTION_ROLE_ARN: EXECUTION_ROLE,
    STAGE: 'leak',
    IDEMPOTENCY_TABLE: 'brg-leak-idempotency',
  };
  restoreEnv = setEnv(env);
  const [rotate, changed, submit, get, cancel, list] = await Promise.all([
    import('../../handlers/rotate-secret'),
    import('../../handlers/on-secret-changed'),
    import('../../handlers/submit-job'),
    import('../../handlers/get-job'),
    import('../../handlers/cancel-job'),
    import('../../handlers/list-registries'),
  ]);
  handlers = {
    rotateSecret: rotate.handler,
    onSecretChanged: changed.handler,
    submitJob: submit.handler,
    getJob: get.handler,
    cancelJob: cancel.handler,
    listRegistries: list.handler,
    clearSubmitCaches: () => submit.submitter.clearCaches(),
  };
});

afterAll(async () => {
  restoreEnv?.();
  redirector?.closeAllConnections();
  await new Promise((resolve) => (redirector ? redirector.close(resolve) : resolve(undefined)));
  await Promise.all([basicRegistry?.stop(), bearerRegistry?.stop(), wrongRegistry?.stop(), tokens?.stop()]);
});

/** The secret values the scenarios store: the right credentials, and ways to get it wrong. */
const SECRETS = {
  good: () =>
    JSON.stringify({
      registries: [
        { registry_url: basicRegistry.url, ...user },
        { registry_url: bearerRegistry.url, ...user },
      ],
    }),
  refused: () => JSON.stringify({ registries: [{ registry_url: wrongRegistry.url, ...user }] }),
  unreachable: () => JSON.stringify({ registries: [{ registry_url: `http://${closedHost}`, ...user }] }),
  redirecting: () => JSON.stringify({ registries: [{ registry_url: `http://${redirectorHost}`, ...user }] }),
  'not JSON': () => `{"username":"${user.username}","password":"${user.password}"`,
  'a JSON string': () => JSON.stringify(user.password),
  'registry_url with user info': () =>
    JSON.stringify({ registry_url: `https://${user.username}:${user.password}@ghcr.io`, ...user }),
  'the password as registry_url': () => JSON.stringify({ registry_url: user.password, ...user }),
  'the same registry twice': () =>
    JSON.stringify({
      registries: [
        { registry_url: basicRegistry.url, ...user },
        { registry_url: basicRegistry.host, ...user },
      ],
    }),
  'a line break in the password': () => JSON.stringify({ ...user, password: `${user.password}\n` }),
  'the password in the username': () =>
    JSON.stringify({ username: `${user.username}:${user.password}`, password: 'x' }),
  'registries as the password': () => JSON.stringify({ registries: user.password }),
  'a number as password': () => JSON.stringify({ username: user.password, password: 42 }),
} as const;
type SecretKind = keyof typeof SECRETS;
const MALFORMED = Object.keys(SECRETS).filter(
  (kind) => !['good', 'refused', 'unreachable', 'redirecting'].includes(kind),
) as SecretKind[];

let fake: FakeAws;

/** The job queue's platform and whether the registries' credential secrets exist (SPEC §11). */
interface QueueSetup {
  readonly platform: 'EC2' | 'FARGATE';
  readonly credentialSecrets: 'present' | 'missing';
}

/**
 * Fresh AWS mocks: the secret (current and pending) holds `kind`; Batch answers the job calls on
 * a queue of `queue.platform`; each registry's credential secret exists or not.
 */
function prepare(
  kind: SecretKind,
  queue: QueueSetup = { platform: 'EC2', credentialSecrets: 'present' },
): void {
  handlers.clearSubmitCaches();
  ec2Mock.reset();
  batchMock.reset();
  secretsMock.reset();
  fake = new FakeAws();
  fake.addSecretVersion(CURRENT, SECRETS[kind](), ['AWSCURRENT']);
  fake.addSecretVersion(TOKEN, SECRETS[kind](), ['AWSPENDING']);
  fake.install();
  // The registry credential secrets (TASK_CREDENTIALS=true, the default): none yet.
  secretsMock.on(ListSecretsCommand).resolves({ SecretList: [] });
  secretsMock.on(CreateSecretCommand).callsFake((input) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.Name}-AbCdEf`,
    Name: input.Name,
    VersionId: input.ClientRequestToken,
  }));
  const environment = computeEnvironment('ce-queue');
  if (queue.platform === 'FARGATE' && environment.computeResources)
    environment.computeResources.type = 'FARGATE';
  batchMock.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      {
        jobQueueName: QUEUE,
        jobQueueArn: `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`,
        state: 'ENABLED',
        status: 'VALID',
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: environment.computeEnvironmentArn }],
      },
    ],
  });
  batchMock
    .on(DescribeComputeEnvironmentsCommand, {
      computeEnvironments: [environment.computeEnvironmentArn ?? ''],
    })
    .resolves({ computeEnvironments: [environment] });
  for (const registry of [basicRegistry, bearerRegistry, wrongRegistry]) {
    const name = registryCredentialSecretName(DEFAULT_REGISTRY_SECRET_PREFIX, registry.host);
    if (queue.credentialSecrets === 'missing') {
      secretsMock.on(DescribeSecretCommand, { SecretId: name }).rejects(
        new ResourceNotFoundException({
          $metadata: {},
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
    } else {
      secretsMock
        .on(DescribeSecretCommand, { SecretId: name })
        .resolves({ ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-Ab12Cd`, Name: name });
    }
  }
  batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [] });
  batchMock.on(RegisterJobDefinitionCommand).callsFake((input) => ({
    jobDefinitionName: input.jobDefinitionName,
    jobDefinitionArn: `arn:aws:batch:us-east-1:123456789012:job-definition/${input.jobDefinitionName}:1`,
    revision: 1,
  }));
  batchMock.on(SubmitJobCommand).callsFake((input) => ({
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
    jobName: input.jobName,
    jobId: JOB_ID,
  }));
  batchMock.on(DescribeJobsCommand).resolves({
    jobs: [
      {
        jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
        jobName: 'app-1',
        jobId: JOB_ID,
        jobQueue: `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`,
        status: 'RUNNING',
        createdAt: 1741947302417,
        startedAt: 1741947362000,
        jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/brg-app:1',
        container: { image: `${basicRegistry.host}/team/app:1`, logStreamName: 'brg-app/default/abc' },
        tags: { 'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/job-submitter' },
      },
    ],
  });
  batchMock.on(TerminateJobCommand).resolves({});
}

/** A write of a registry credential secret's value: where a password is meant to go (SPEC §11). */
function isCredentialSecretWrite(command: unknown): boolean {
  if (command instanceof CreateSecretCommand)
    return command.input.Name?.startsWith(CREDENTIAL_PREFIX) === true;
  if (command instanceof PutSecretValueCommand)
    return command.input.SecretId?.includes(`:secret:${CREDENTIAL_PREFIX}`) === true;
  return false;
}

/** The values written to registry credential secrets, each exactly {"username","password"}. */
function credentialSecretValues(): unknown[] {
  return secretsMock
    .calls()
    .map((call) => call.args[0])
    .filter(isCredentialSecretWrite)
    .map((command) => JSON.parse(String((command.input as { SecretString?: string }).SecretString)));
}

/** Every request sent to AWS but the credential secret writes, as JSON, with launch template user data decoded. */
function awsRequests(): string {
  const calls = [...secretsMock.calls(), ...ec2Mock.calls(), ...batchMock.calls(), ...dynamoMock.calls()];
  return calls
    .filter((call) => !isCredentialSecretWrite(call.args[0]))
    .map((call) => {
      const command = call.args[0];
      const input: unknown = command.input;
      let text = `${command.constructor.name} ${JSON.stringify(input)}`;
      if (command instanceof CreateLaunchTemplateVersionCommand) {
        text += `\n${Buffer.from(command.input.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8')}`;
      }
      return text;
    })
    .join('\n');
}

/** The user data of every launch template version the rollout asked EC2 to create. */
function publishedUserData(): string[] {
  return ec2Mock
    .commandCalls(CreateLaunchTemplateVersionCommand)
    .map((call) =>
      Buffer.from(call.args[0].input.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8'),
    );
}

function expectNoLeak(captured: Captured<unknown>): void {
  const evidence = {
    'log output': captured.output,
    response: captured.result === undefined ? '' : JSON.stringify(captured.result),
    'thrown error': captured.threw ? renderThrown(captured.error) : '',
    'requests to AWS': awsRequests(),
  };
  const leaks = Object.entries(evidence).flatMap(([where, text]) =>
    findLeaks(canary, text).map((form) => `${form} in ${where}`),
  );
  expect(leaks).toEqual([]);
}

function postJobs(image: string): HttpEvent {
  const event = loadFixture<HttpEvent>('http/post-jobs.json');
  event.body = JSON.stringify({ image, command: ['echo', 'hi'], environment: { STAGE: 'leak' } });
  return event;
}

const rotationEvent = (Step: string) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });

function errorName(captured: Captured<unknown>): string | undefined {
  return captured.error instanceof Error ? captured.error.name : undefined;
}

describe('the canary detector', () => {
  it('finds the password in every form a leak could take, and in what AWS hands the functions', async () => {
    prepare('good');
    const basic = basicAuth(user);
    const inBlob = Buffer.from(
      `{"${basicRegistry.host}":${JSON.stringify({ ...user, email: '' })}}`,
    ).toString('base64');

    const secret = await new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: SECRET_ARN }),
    );

    expect(findLeaks(canary, basic)).toContain('base64 of user:password (Basic auth)');
    expect(findLeaks(canary, inBlob).some((form) => form.startsWith('base64 of the random part'))).toBe(true);
    expect(findLeaks(canary, `https://x/?p=${encodeURIComponent(user.password)}`)).toContain(
      'URL-encoded password',
    );
    expect(findLeaks(canary, JSON.stringify(secret))).toContain('password');
    expect(findLeaks(canary, 'nothing here')).toEqual([]);
  });
});

/**
 * As prepare, with an older AWSCURRENT value: the pending `kind` is new, as in a real rotation (a
 * pending value equal to AWSCURRENT's is Secrets Manager's configuration test).
 */
function prepareRotation(kind: SecretKind): void {
  prepare(kind);
  fake.addSecretVersion(CURRENT, JSON.stringify({ username: 'previous-bot', password: 'previous-pw-0' }), [
    'AWSCURRENT',
  ]);
}

describe('rotateSecret leaks nothing', () => {
  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    '%s with the right credentials (real Basic and Bearer logins)',
    async (step) => {
      prepareRotation('good');
      const before = tokens.requestCount();

      const captured = await capture(() => handlers.rotateSecret(rotationEvent(step), context));

      expect(captured.error).toBeUndefined();
      expect(captured.output).not.toBe('');
      // The Bearer login went through the token service (finishSecret may reuse testSecret's token).
      if (step === 'testSecret') expect(tokens.requestCount()).toBeGreaterThan(before);
      if (step === 'finishSecret') {
        expect(publishedUserData()).toHaveLength(1);
        expect(publishedUserData()[0]).toContain(`SECRET_VERSION_ID='${TOKEN}'`);
        expect(secretsMock).toHaveReceivedCommand(UpdateSecretVersionStageCommand);
        expect(batchMock).toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
      }
      expectNoLeak(captured);
    },
  );

  it.each<[string, SecretKind, RegExp]>([
    ['testSecret', 'refused', /HTTP 401/],
    ['finishSecret', 'refused', /HTTP 401/],
    ['testSecret', 'unreachable', /unreachable/],
    ['finishSecret', 'unreachable', /unreachable/],
  ])('%s when the registry is %s', async (step, kind, message) => {
    prepareRotation(kind);

    const captured = await capture(() => handlers.rotateSecret(rotationEvent(step), context));

    expect(errorName(captured)).toBe('CredentialCheckError');
    expect(String(captured.error)).toMatch(message);
    expect(publishedUserData()).toEqual([]);
    expectNoLeak(captured);
  });

  it.each(MALFORMED)('createSecret and testSecret when the staged value is %s', async (kind) => {
    prepareRotation(kind);

    const created = await capture(() => handlers.rotateSecret(rotationEvent('createSecret'), context));
    const tested = await capture(() => handlers.rotateSecret(rotationEvent('testSecret'), context));

    expect(errorName(created)).toBe('StagedValueError');
    expect(errorName(tested)).toBe('SecretFormatError');
    expectNoLeak(created);
    expectNoLeak(tested);
  });

  it.each<[AwsCall, Error]>([
    [
      'GetSecretValue',
      new SecretsManagerServiceException({
        name: 'DecryptionFailure',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      }),
    ],
    [
      'CreateLaunchTemplateVersion',
      new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'You are not authorized to perform this operation.',
      }),
    ],
    [
      'UpdateComputeEnvironment',
      new ClientException({ message: 'Compute environment is not valid', $metadata: {} }),
    ],
    ['UpdateSecretVersionStage', secretsThrottled()],
  ])('finishSecret when AWS fails %s', async (call, error) => {
    prepareRotation('good');
    fake.inject(call, { kind: 'reject', error });

    const captured = await capture(() => handlers.rotateSecret(rotationEvent('finishSecret'), context));

    expect(captured.threw).toBe(true);
    expectNoLeak(captured);
  });
});

describe('onSecretChanged leaks nothing', () => {
  it('rolls out the right credentials', async () => {
    prepare('good');

    const captured = await capture(() => handlers.onSecretChanged(loadEvent('putSecretValue'), context));

    expect(captured.error).toBeUndefined();
    expect(publishedUserData()[0]).toContain(`SECRET_VERSION_ID='${CURRENT}'`);
    expect(captured.output).toContain('rollout summary');
    expect(credentialSecretValues()).toEqual([user, user]);
    expectNoLeak(captured);
  });

  it('with instance credentials off (hardened): writes only the credential secrets, no user data', async () => {
    prepare('good');
    // handlers/on-secret-changed.ts wired with INSTANCE_CREDENTIALS=false (its configuration is
    // read once per module, so the same pieces are put together here with that setting). Imported
    // here, after beforeAll set the environment, as the handlers were (the logger reads its level).
    const [
      { secretsManager },
      { loadConfig },
      { logger },
      { RegistryClient },
      { productionRollout },
      { handleSecretChanged },
    ] = await Promise.all([
      import('../../lib/aws-clients'),
      import('../../lib/config'),
      import('../../lib/logger'),
      import('../../lib/registry/client'),
      import('../../lib/rollout/production'),
      import('../../lib/rotation/on-secret-changed'),
    ]);
    const config = loadConfig({ ...process.env, INSTANCE_CREDENTIALS: 'false' }, ['rollout']);
    const rollOut = productionRollout(config, new RegistryClient({ timeoutMs: config.registryTimeoutMs }));

    const captured = await capture(() =>
      handleSecretChanged(
        { secretsManager, secretId: config.registrySecretArn, rollout: (target) => rollOut(target), logger },
        loadEvent('putSecretValue'),
      ),
    );

    expect(captured.error).toBeUndefined();
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(batchMock).not.toHaveReceivedCommand(UpdateComputeEnvironmentCommand);
    expect(credentialSecretValues()).toEqual([user, user]);
    expect(captured.output).toContain('not-applicable');
    expectNoLeak(captured);
  });

  it.each<SecretKind>(['refused', 'unreachable', ...MALFORMED])(
    'fails when the secret is %s',
    async (kind) => {
      prepare(kind);

      const captured = await capture(() =>
        handlers.onSecretChanged(loadEvent('secretLabelUpdated'), context),
      );

      expect(captured.threw).toBe(true);
      expect(captured.output).toContain('invocation failed');
      expect(ec2Mock.calls()).toHaveLength(0);
      expectNoLeak(captured);
    },
  );

  it('fails when Batch refuses the update', async () => {
    prepare('good');
    fake.inject('UpdateComputeEnvironment', {
      kind: 'reject',
      error: new ServerException({ message: 'Service unavailable', $metadata: { httpStatusCode: 500 } }),
    });

    const captured = await capture(() =>
      handlers.onSecretChanged(loadEvent('updateSecretVersionStage'), context),
    );

    expect(errorName(captured)).toBe('RolloutError');
    expectNoLeak(captured);
  });
});

describe('the HTTP API leaks nothing', () => {
  it.each([
    ['the Basic registry', () => `${basicRegistry.host}/team/app:1`, 202],
    ['the Bearer registry', () => `${bearerRegistry.host}/team/app:1`, 202],
    ['a missing tag on the Bearer registry', () => `${bearerRegistry.host}/team/app:2`, 422],
    ['a registry not in the secret', () => 'ghcr.io/team/app:1', 403],
  ])('POST /jobs for %s', async (_case, image, status) => {
    prepare('good');

    const captured = await capture(() => handlers.submitJob(postJobs(image()), context));

    expect(captured.result?.statusCode).toBe(status);
    if (status === 202) expect(batchMock).toHaveReceivedCommand(RegisterJobDefinitionCommand);
    expectNoLeak(captured);
  });

  it.each<[string, QueueSetup, () => string, number]>([
    ['EC2', { platform: 'EC2', credentialSecrets: 'present' }, () => `${basicRegistry.host}/team/app:1`, 202],
    [
      'EC2',
      { platform: 'EC2', credentialSecrets: 'missing' },
      () => `${bearerRegistry.host}/team/app:1`,
      202,
    ],
    [
      'Fargate',
      { platform: 'FARGATE', credentialSecrets: 'present' },
      () => `${basicRegistry.host}/team/app:1`,
      202,
    ],
    [
      'Fargate',
      { platform: 'FARGATE', credentialSecrets: 'present' },
      () => `${bearerRegistry.host}/team/app:1`,
      202,
    ],
    [
      'Fargate',
      { platform: 'FARGATE', credentialSecrets: 'missing' },
      () => `${basicRegistry.host}/team/app:1`,
      503,
    ],
    [
      'Fargate',
      { platform: 'FARGATE', credentialSecrets: 'present' },
      () => `${bearerRegistry.host}/team/app:2`,
      422,
    ],
  ])('POST /jobs on an %s queue with the credential secrets %j', async (_platform, queue, image, status) => {
    prepare('good', queue);

    const captured = await capture(() => handlers.submitJob(postJobs(image()), context));

    expect(captured.result?.statusCode).toBe(status);
    if (status === 202) {
      const registered = batchMock.commandCalls(RegisterJobDefinitionCommand)[0]?.args[0].input;
      expect(registered?.platformCapabilities).toEqual([queue.platform]);
      expect(Boolean(registered?.containerProperties?.repositoryCredentials)).toBe(
        queue.credentialSecrets === 'present',
      );
    }
    expectNoLeak(captured);
  });

  it.each<[SecretKind, () => string, number]>([
    ['refused', () => `${wrongRegistry.host}/team/app:1`, 502],
    ['unreachable', () => `${closedHost}/team/app:1`, 502],
    // The Basic registry it redirects to challenges; the stored credentials never go there.
    ['redirecting', () => `${redirectorHost}/team/app:1`, 422],
    ...MALFORMED.map((kind): [SecretKind, () => string, number] => [kind, () => 'ghcr.io/team/app:1', 502]),
  ])('POST /jobs when the secret is %s', async (kind, image, status) => {
    prepare(kind);

    const captured = await capture(() => handlers.submitJob(postJobs(image()), context));

    expect(captured.result?.statusCode).toBe(status);
    expectNoLeak(captured);
  });

  it.each<[string, () => void, number]>([
    [
      'SubmitJob is refused',
      () =>
        batchMock
          .on(SubmitJobCommand)
          .rejects(new ClientException({ message: 'Job queue is disabled', $metadata: {} })),
      502,
    ],
    [
      'GetSecretValue is throttled',
      () => fake.inject('GetSecretValue', { kind: 'reject', error: secretsThrottled() }),
      429,
    ],
  ])('POST /jobs when %s', async (_case, fail, status) => {
    prepare('good');
    fail();

    const captured = await capture(() =>
      handlers.submitJob(postJobs(`${basicRegistry.host}/team/app:1`), context),
    );

    expect(captured.result?.statusCode).toBe(status);
    expectNoLeak(captured);
  });

  it.each([
    ['a submission', () => `${basicRegistry.host}/team/app:1`, [202, 202]],
    ['a failed submission', () => `${basicRegistry.host}/team/app:2`, [422, 422]],
  ])(
    'POST /jobs with an Idempotency-Key: %s, its replay and the stored record',
    async (_case, image, statuses) => {
      prepare('good');
      const table = new FakeIdempotencyTable().install();
      const keyed = () => {
        const event = postJobs(image());
        event.headers['idempotency-key'] = 'leak-1';
        return event;
      };

      const first = await capture(() => handlers.submitJob(keyed(), context));
      const replay = await capture(() => handlers.submitJob(keyed(), context));

      expect([first.result?.statusCode, replay.result?.statusCode]).toEqual(statuses);
      expectNoLeak(first);
      expectNoLeak(replay);
      expect(findLeaks(canary, JSON.stringify([...table.items.values()]))).toEqual([]);
    },
  );

  it.each<[SecretKind, number, (() => void) | undefined]>([
    ['good', 200, undefined],
    ['not JSON', 502, undefined],
    ['registry_url with user info', 502, undefined],
    [
      'good',
      502,
      () =>
        fake.inject('GetSecretValue', {
          kind: 'reject',
          error: new SecretsManagerServiceException({
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: `User is not authorized to perform secretsmanager:GetSecretValue on ${SECRET_ARN}`,
          }),
        }),
    ],
  ])('GET /registries with a %s secret answers %i', async (kind, status, fail) => {
    prepare(kind);
    fail?.();

    const captured = await capture(() =>
      handlers.listRegistries(loadFixture<HttpEvent>('http/get-registries.json'), context),
    );

    expect(captured.result?.statusCode).toBe(status);
    if (status === 200) expect(captured.result?.body).toContain(basicRegistry.host);
    expectNoLeak(captured);
  });

  it.each<[string, keyof Handlers, number, (() => void) | undefined]>([
    ['GET /jobs/{jobId}', 'getJob', 200, undefined],
    ['DELETE /jobs/{jobId}', 'cancelJob', 202, undefined],
    [
      'GET /jobs/{jobId} when Batch fails',
      'getJob',
      502,
      () =>
        batchMock
          .on(DescribeJobsCommand)
          .rejects(new ServerException({ message: 'internal', $metadata: {} })),
    ],
  ])('%s', async (_case, route, status, fail) => {
    prepare('good');
    fail?.();
    const fixture = route === 'getJob' ? 'http/get-job.json' : 'http/delete-job.json';
    const handler = route === 'getJob' ? handlers.getJob : handlers.cancelJob;

    const captured = await capture(() => handler(loadFixture<HttpEvent>(fixture), context));

    expect(captured.result?.statusCode).toBe(status);
    expectNoLeak(captured);
  });
});
