import {
  ClientException,
  DescribeJobDefinitionsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { GetSecretValueCommand, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { RegistryError, type RegistryErrorKind } from '../../lib/registry/client';
import { captureLogs } from '../helpers/capture-logs';
import { loadFixture } from '../helpers/fixtures';
import { batchTooManyRequests, JOB_ID, QUEUE, REGISTRY_SECRET_ARN } from '../helpers/handler-harness';
import { jobDefinitionArn, postJobsEvent, submitJobHarness } from '../helpers/submit-job-harness';

const PASSWORD = 'pw-Recognisable-7f3a9c';
const HUB_PASSWORD = 'dckr_pat_Recognisable-1b2c';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/job-submitter/pipeline-run-42';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/brg-test-execution';
const CREDENTIAL_PREFIX = 'brg/registry-credentials/';
/** The ARN Secrets Manager gives a registry's credential secret (name + random suffix). */
const CREDENTIAL_ARN = (encodedRegistry: string) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:${CREDENTIAL_PREFIX}${encodedRegistry}-Ab12Cd`;

const { batchMock, secretsMock, manifestExists, invoke } = submitJobHarness({
  env: {
    ALLOWED_REGISTRIES: 'public.ecr.aws',
    IMAGE_CACHE_SECONDS: '30',
    SECRET_CACHE_SECONDS: '60',
    STAGE: 'test',
    EXECUTION_ROLE_ARN: EXECUTION_ROLE,
    REGISTRY_SECRET_PREFIX: CREDENTIAL_PREFIX,
  },
  registries: [
    { registry_url: 'https://registry.example.com', username: 'bot', password: PASSWORD },
    { registry_url: 'https://index.docker.io/v1/', username: 'hub-bot', password: HUB_PASSWORD },
  ],
});

/** A managed job definition as DescribeJobDefinitions returns it (Batch fills in the empty lists). */
function managedDefinition(name: string, revision: number, image: string) {
  return {
    jobDefinitionName: name,
    jobDefinitionArn: jobDefinitionArn(name, revision),
    revision,
    status: 'ACTIVE',
    type: 'container',
    parameters: {},
    containerProperties: {
      image,
      executionRoleArn: EXECUTION_ROLE,
      repositoryCredentials: { credentialsParameter: CREDENTIAL_ARN('registry.example.com') },
      command: [],
      volumes: [],
      environment: [],
      mountPoints: [],
      ulimits: [],
      resourceRequirements: [
        { value: '1', type: 'VCPU' },
        { value: '2048', type: 'MEMORY' },
      ],
      secrets: [],
    },
    tags: { 'batch-registry-gateway:managed': 'true' },
    platformCapabilities: ['EC2'],
    containerOrchestrationType: 'ECS',
  };
}

/** Neither a job definition was looked up or registered nor a job submitted. */
function expectNoJobDefinitionOrJob(): void {
  expect(batchMock).not.toHaveReceivedCommand(DescribeJobDefinitionsCommand);
  expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
  expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
}

function expectProblem(result: HttpResult, status: number): void {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  expect(JSON.parse(result.body ?? '{}')).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
  });
  expect(result.body).not.toContain(PASSWORD);
  expect(result.body).not.toContain(HUB_PASSWORD);
}

describe('POST /jobs handler', () => {
  describe('202', () => {
    it('submits the fixture body to the queue with the managed definition and the overrides', async () => {
      const event = loadFixture<HttpEvent>('http/post-jobs.json');

      const { result, body } = await invoke(event);

      expect(result.statusCode).toBe(202);
      expect(result.headers?.['content-type']).toBe('application/json');
      const definitionName = String(
        batchMock.commandCalls(RegisterJobDefinitionCommand)[0]?.args[0].input.jobDefinitionName,
      );
      expect(definitionName).toMatch(/^brg-test-registry-example-com-team-app-1-4-2-[0-9a-f]{12}$/);
      expect(body).toEqual({
        jobId: JOB_ID,
        jobName: 'app-1-4-2',
        jobQueue: QUEUE,
        jobDefinition: jobDefinitionArn(definitionName, 1),
        image: 'registry.example.com/team/app:1.4.2',
      });
      expect(batchMock).toHaveReceivedCommandWith(DescribeJobDefinitionsCommand, {
        jobDefinitionName: definitionName,
        status: 'ACTIVE',
      });
      expect(batchMock.commandCalls(RegisterJobDefinitionCommand)[0]?.args[0].input).toEqual({
        jobDefinitionName: definitionName,
        type: 'container',
        platformCapabilities: ['EC2'],
        containerProperties: {
          image: 'registry.example.com/team/app:1.4.2',
          resourceRequirements: [
            { type: 'VCPU', value: '1' },
            { type: 'MEMORY', value: '2048' },
          ],
          executionRoleArn: EXECUTION_ROLE,
          repositoryCredentials: { credentialsParameter: CREDENTIAL_ARN('registry.example.com') },
        },
        tags: { 'batch-registry-gateway:managed': 'true' },
      });
      expect(batchMock).toHaveReceivedCommandWith(SubmitJobCommand, {
        jobName: 'app-1-4-2',
        jobQueue: QUEUE,
        jobDefinition: jobDefinitionArn(definitionName, 1),
        containerOverrides: {
          command: ['python', 'main.py', '--date', '2025-03-14'],
          environment: [{ name: 'STAGE', value: 'prod' }],
          resourceRequirements: [
            { type: 'VCPU', value: '2' },
            { type: 'MEMORY', value: '4096' },
          ],
        },
        timeout: { attemptDurationSeconds: 3600 },
        retryStrategy: { attempts: 2 },
        tags: {
          team: 'data',
          'batch-registry-gateway:submitted-by': CALLER,
          'batch-registry-gateway:owner': 'arn:aws:sts::123456789012:assumed-role/job-submitter',
        },
        propagateTags: true,
      });
      expect(manifestExists).toHaveBeenCalledWith(
        expect.objectContaining({ name: 'registry.example.com', scheme: 'https' }),
        'team/app',
        '1.4.2',
        { username: 'bot', password: PASSWORD },
        { signal: expect.any(AbortSignal) },
      );
    });

    it('normalises a Docker Hub official image and checks it with the Docker Hub credentials', async () => {
      const { result, body } = await invoke(
        postJobsEvent({ image: 'alpine', gpus: 1, name: 'nightly_report-1' }),
      );

      expect(result.statusCode).toBe(202);
      expect(body).toMatchObject({ image: 'docker.io/library/alpine:latest', jobName: 'nightly_report-1' });
      expect(manifestExists).toHaveBeenCalledWith(
        expect.objectContaining({ name: 'docker.io' }),
        'library/alpine',
        'latest',
        {
          username: 'hub-bot',
          password: HUB_PASSWORD,
        },
        { signal: expect.any(AbortSignal) },
      );
      expect(batchMock).toHaveReceivedCommandWith(RegisterJobDefinitionCommand, {
        containerProperties: expect.objectContaining({ image: 'docker.io/library/alpine:latest' }),
      });
      expect(batchMock).toHaveReceivedCommandWith(SubmitJobCommand, {
        containerOverrides: { resourceRequirements: [{ type: 'GPU', value: '1' }] },
      });
    });

    it('checks a digest-pinned image by its digest', async () => {
      const digest = `sha256:${'ab'.repeat(32)}`;

      const { result, body } = await invoke(
        postJobsEvent({ image: `registry.example.com/team/app@${digest}` }),
      );

      expect(result.statusCode).toBe(202);
      expect(body).toMatchObject({
        image: `registry.example.com/team/app@${digest}`,
        jobName: 'app-abababababab',
      });
      expect(manifestExists).toHaveBeenCalledWith(expect.anything(), 'team/app', digest, expect.anything(), {
        signal: expect.any(AbortSignal),
      });
    });

    it('accepts an image from ALLOWED_REGISTRIES and checks it without credentials', async () => {
      const { result } = await invoke(postJobsEvent({ image: 'public.ecr.aws/docker/library/busybox:1.36' }));

      expect(result.statusCode).toBe(202);
      expect(manifestExists).toHaveBeenCalledWith(
        expect.objectContaining({ name: 'public.ecr.aws' }),
        'docker/library/busybox',
        '1.36',
        undefined,
        { signal: expect.any(AbortSignal) },
      );
    });

    it('reuses the newest active managed definition with the same image instead of registering one', async () => {
      const image = 'registry.example.com/team/app:1.4.2';
      batchMock.on(DescribeJobDefinitionsCommand).callsFake((input: { jobDefinitionName: string }) => ({
        jobDefinitions: [1, 3, 2].map((revision) =>
          managedDefinition(input.jobDefinitionName, revision, image),
        ),
      }));

      const { result, body } = await invoke(postJobsEvent({ image }));

      expect(result.statusCode).toBe(202);
      expect(String(body.jobDefinition)).toMatch(/:3$/);
      expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 0);
      expect(batchMock).toHaveReceivedCommandWith(SubmitJobCommand, { jobDefinition: body.jobDefinition });
    });

    it.each<[string, Record<string, unknown>]>([
      ['privileged', { containerProperties: { privileged: true } }],
      ['a host volume', { containerProperties: { volumes: [{ name: 'root', host: { sourcePath: '/' } }] } }],
      [
        'another execution role',
        { containerProperties: { executionRoleArn: 'arn:aws:iam::123456789012:role/x' } },
      ],
      ['a log driver', { containerProperties: { logConfiguration: { logDriver: 'syslog' } } }],
      ['no repositoryCredentials', { containerProperties: { repositoryCredentials: undefined } }],
      ['a command', { containerProperties: { command: ['sh', '-c', 'curl evil.example'] } }],
      ['no managed tag', { tags: {} }],
    ])(
      'does not reuse a revision someone registered under the managed name with %s',
      async (_case, extra) => {
        const image = 'registry.example.com/team/app:1.4.2';
        batchMock.on(DescribeJobDefinitionsCommand).callsFake((input: { jobDefinitionName: string }) => {
          const definition = managedDefinition(input.jobDefinitionName, 7, image);
          const containerProperties = {
            ...definition.containerProperties,
            ...(extra.containerProperties ?? {}),
          };
          return { jobDefinitions: [{ ...definition, ...extra, containerProperties }] };
        });

        const { result } = await invoke(postJobsEvent({ image }));

        expect(result.statusCode).toBe(202);
        expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
      },
    );

    it('registers a new revision when the active definition has another image', async () => {
      batchMock.on(DescribeJobDefinitionsCommand).callsFake((input: { jobDefinitionName: string }) => ({
        jobDefinitions: [
          {
            jobDefinitionName: input.jobDefinitionName,
            jobDefinitionArn: jobDefinitionArn(input.jobDefinitionName, 1),
            revision: 1,
            status: 'ACTIVE',
            type: 'container',
            containerProperties: { image: 'registry.example.com/team/other:1' },
          },
        ],
      }));

      const { result } = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1.4.2' }));

      expect(result.statusCode).toBe(202);
      expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
    });
  });

  describe('warm path', () => {
    it('makes exactly one AWS call and no registry call for a second submission of an image', async () => {
      const first = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1.4.2' }));
      const callsAfterFirst = {
        batch: batchMock.calls().length,
        secrets: secretsMock.calls().length,
        registry: manifestExists.mock.calls.length,
      };

      const second = await invoke(
        postJobsEvent({ image: 'registry.example.com/team/app:1.4.2', command: ['echo'] }),
      );

      expect([first.result.statusCode, second.result.statusCode]).toEqual([202, 202]);
      // The first: DescribeJobQueues, DescribeComputeEnvironments, DescribeJobDefinitions,
      // RegisterJobDefinition, SubmitJob; GetSecretValue and DescribeSecret (the credential secret).
      expect(callsAfterFirst).toEqual({ batch: 5, secrets: 2, registry: 1 });
      expect(batchMock.calls().length - callsAfterFirst.batch).toBe(1);
      expect(batchMock).toHaveReceivedCommandTimes(SubmitJobCommand, 2);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 1);
      expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
      expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(manifestExists).toHaveBeenCalledTimes(1);
    });

    it('reads the secret once for submissions of different images and looks each definition up once', async () => {
      await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));
      await invoke(postJobsEvent({ image: 'registry.example.com/team/app:2' }));
      await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));

      expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 2);
      expect(batchMock).toHaveReceivedCommandTimes(SubmitJobCommand, 3);
      expect(manifestExists).toHaveBeenCalledTimes(2);
    });
  });

  describe('logging', () => {
    it('never logs a stored password, whether the submission succeeds or the registry refuses', async () => {
      const output = await captureLogs(async () => {
        await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));
        manifestExists.mockRejectedValue(
          new RegistryError('unauthorized', 'registry.example.com', 401, 'registry.example.com answered 401'),
        );
        await invoke(postJobsEvent({ image: 'registry.example.com/team/app:2' }));
      });

      expect(output).toContain('submitted job');
      expect(output).toContain('rejected the gateway');
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(HUB_PASSWORD);
    });
  });

  describe('400', () => {
    it.each([
      ['not JSON', '{"image": "alpine"'],
      ['empty', ''],
      ['a JSON array', '["alpine"]'],
      ['a JSON string', '"alpine"'],
      ['JSON null', 'null'],
    ])('rejects a body that is %s', async (_case, body) => {
      const { result, body: problem } = await invoke(postJobsEvent(body));

      expectProblem(result, 400);
      expect(problem.detail).toEqual(expect.any(String));
      expect(batchMock.calls()).toHaveLength(0);
    });

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['image missing', {}, 'image', /expected string/],
      ['image not a string', { image: 7 }, 'image', /expected string/],
      ['image empty', { image: '' }, 'image', /empty/],
      ['unknown field', { image: 'alpine', cpu: 2 }, 'cpu', /not a known field/],
      ['command not an array', { image: 'alpine', command: 'echo hi' }, 'command', /expected array/],
      [
        'command item not a string',
        { image: 'alpine', command: ['echo', 1] },
        'command[1]',
        /expected string/,
      ],
      [
        'environment not an object',
        { image: 'alpine', environment: ['A=1'] },
        'environment',
        /expected record/,
      ],
      [
        'environment name with a dash',
        { image: 'alpine', environment: { 'MY-VAR': 'x' } },
        'environment.MY-VAR',
        /A-Za-z_/,
      ],
      [
        'environment name with a leading digit',
        { image: 'alpine', environment: { '1VAR': 'x' } },
        'environment.1VAR',
        /A-Za-z_/,
      ],
      [
        'environment name AWS_BATCH_*',
        { image: 'alpine', environment: { AWS_BATCH_JOB_ID: 'x' } },
        'environment.AWS_BATCH_JOB_ID',
        /AWS_BATCH/,
      ],
      [
        'environment value not a string',
        { image: 'alpine', environment: { A: 1 } },
        'environment.A',
        /expected string/,
      ],
      ['vcpus zero', { image: 'alpine', vcpus: 0 }, 'vcpus', /greater than 0/],
      ['vcpus negative', { image: 'alpine', vcpus: -1 }, 'vcpus', /greater than 0/],
      ['vcpus a string', { image: 'alpine', vcpus: '2' }, 'vcpus', /expected number/],
      ['memory below 4', { image: 'alpine', memory: 3 }, 'memory', /at least 4/],
      ['memory fractional', { image: 'alpine', memory: 512.5 }, 'memory', /integer/],
      ['gpus negative', { image: 'alpine', gpus: -1 }, 'gpus', /at least 0/],
      ['gpus fractional', { image: 'alpine', gpus: 0.5 }, 'gpus', /integer/],
      ['name empty', { image: 'alpine', name: '' }, 'name', /empty/],
      [
        'name starting with a dash',
        { image: 'alpine', name: '-job' },
        'name',
        /start with a letter or number/,
      ],
      ['name with a dot', { image: 'alpine', name: 'job.1' }, 'name', /letters, numbers, - and _/],
      ['name of 129 characters', { image: 'alpine', name: 'a'.repeat(129) }, 'name', /128/],
      ['timeoutSeconds below 60', { image: 'alpine', timeoutSeconds: 59 }, 'timeoutSeconds', /at least 60/],
      ['timeoutSeconds fractional', { image: 'alpine', timeoutSeconds: 60.5 }, 'timeoutSeconds', /integer/],
      ['retryAttempts 0', { image: 'alpine', retryAttempts: 0 }, 'retryAttempts', /at least 1/],
      ['retryAttempts 11', { image: 'alpine', retryAttempts: 11 }, 'retryAttempts', /at most 10/],
      ['tags not an object', { image: 'alpine', tags: 'team=data' }, 'tags', /expected record/],
      ['tag key with aws: prefix', { image: 'alpine', tags: { 'aws:team': 'x' } }, 'tags.aws:team', /aws:/],
      ['tag key with AWS: prefix', { image: 'alpine', tags: { 'AWS:team': 'x' } }, 'tags.AWS:team', /aws:/],
      [
        'tag key with the gateway prefix',
        { image: 'alpine', tags: { 'batch-registry-gateway:submitted-by': 'me' } },
        'tags.batch-registry-gateway:submitted-by',
        /set by the gateway/,
      ],
      [
        'tag key of 129 characters',
        { image: 'alpine', tags: { ['k'.repeat(129)]: 'x' } },
        `tags.${'k'.repeat(129)}`,
        /128/,
      ],
      ['tag key with a comma', { image: 'alpine', tags: { 'a,b': 'x' } }, 'tags.a,b', /ASCII letters/],
      [
        'tag key with a leading space beside the gateway prefix',
        { image: 'alpine', tags: { ' batch-registry-gateway:owner': 'x' } },
        'tags. batch-registry-gateway:owner',
        /must not start or end with a space/,
      ],
      [
        'tag key with a leading NBSP',
        { image: 'alpine', tags: { '\u00a0batch-registry-gateway:owner': 'x' } },
        'tags.\u00a0batch-registry-gateway:owner',
        /ASCII letters/,
      ],
      [
        'tag key with a Cyrillic look-alike letter',
        { image: 'alpine', tags: { 'batch-registry-g\u0430teway:owner': 'x' } },
        'tags.batch-registry-g\u0430teway:owner',
        /ASCII letters/,
      ],
      ['tag key with a trailing space', { image: 'alpine', tags: { 'team ': 'x' } }, 'tags.team ', /space/],
      [
        'tag value of 257 characters',
        { image: 'alpine', tags: { team: 'v'.repeat(257) } },
        'tags.team',
        /256/,
      ],
      ['tag value with a comma', { image: 'alpine', tags: { team: 'a,b' } }, 'tags.team', /letters, numbers/],
      ['tag value not a string', { image: 'alpine', tags: { team: 1 } }, 'tags.team', /expected string/],
      [
        '48 tags',
        { image: 'alpine', tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v'])) },
        'tags',
        /at most 47/,
      ],
    ])('rejects %s, naming the field', async (_case, payload, path, message) => {
      const { result, body } = await invoke(postJobsEvent(payload));

      expectProblem(result, 400);
      expect(body.errors).toEqual(
        expect.arrayContaining([{ path, message: expect.stringMatching(message) }]),
      );
      expect(batchMock.calls()).toHaveLength(0);
      expect(manifestExists).not.toHaveBeenCalled();
    });

    it('lists every failing field at once, each unknown field by name', async () => {
      const { result, body } = await invoke(postJobsEvent({ image: 'alpine', memory: 1, foo: 1, bar: 2 }));

      expectProblem(result, 400);
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { path: 'memory', message: expect.any(String) },
          { path: 'foo', message: 'is not a known field' },
          { path: 'bar', message: 'is not a known field' },
        ]),
      );
    });

    it.each([
      ['environment', '{"image":"alpine","environment":{"__proto__":"x","A":"1"}}'],
      ['tags', '{"image":"alpine","tags":{"__proto__":"x"}}'],
    ])('rejects a __proto__ name in %s instead of silently dropping it', async (field, rawBody) => {
      const { result, body } = await invoke(postJobsEvent(rawBody));

      expectProblem(result, 400);
      expect(body.errors).toEqual([
        { path: `${field}.__proto__`, message: expect.stringContaining('__proto__') },
      ]);
      expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
    });

    it('accepts the boundary values of every numeric rule and 47 tags', async () => {
      const tags = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`k${i}`, 'v']));
      const payload = {
        image: 'alpine',
        vcpus: 1,
        memory: 4,
        gpus: 0,
        timeoutSeconds: 60,
        retryAttempts: 10,
        name: `A${'_'.repeat(127)}`,
        environment: { _A1: '' },
        tags: { ...tags, k46: 'v'.repeat(256) },
      };

      const { result } = await invoke(postJobsEvent(payload));

      expect(result.statusCode).toBe(202);
    });

    it.each([
      ['upper-case repository', 'registry.example.com/Team/App:1'],
      ['a URL scheme', 'https://registry.example.com/team/app:1'],
      ['an empty tag', 'registry.example.com/team/app:'],
      ['whitespace', 'team/app :1'],
      ['a bad digest', 'registry.example.com/team/app@sha256:1234'],
      ['an unregistered digest algorithm', `registry.example.com/team/app@sha1:${'a'.repeat(40)}`],
      [
        'a grammar-valid but unsupported digest',
        `registry.example.com/team/app@multihash+base58:${'d'.repeat(32)}`,
      ],
    ])('rejects a malformed image reference with %s', async (_case, image) => {
      const { result, body } = await invoke(postJobsEvent({ image }));

      expectProblem(result, 400);
      expect(body.errors).toEqual([{ path: 'image', message: expect.any(String) }]);
      expect(secretsMock.calls()).toHaveLength(0);
      expect(batchMock.calls()).toHaveLength(0);
    });

    it('refuses a job whose SubmitJob request would exceed the 30 KiB Batch quota before registering anything', async () => {
      const half = 'x'.repeat(16 * 1024);
      const { result, body } = await invoke(
        postJobsEvent({ image: 'alpine', command: ['run', half], environment: { DATA: half } }),
      );

      expectProblem(result, 400);
      expect(body.detail).toMatch(/make a \d+-byte SubmitJob request; AWS Batch accepts at most 30720 bytes/);
      // Measured before any job definition is looked up or registered, and before the registry call.
      expectNoJobDefinitionOrJob();
      expect(manifestExists).not.toHaveBeenCalled();
    });
  });

  describe('403', () => {
    it('refuses an image whose registry is neither in the secret nor allowed, naming the registry', async () => {
      const { result, body } = await invoke(postJobsEvent({ image: 'quay.io/team/app:1' }));

      expectProblem(result, 403);
      expect(body.detail).toContain('quay.io');
      expect(manifestExists).not.toHaveBeenCalled();
      expectNoJobDefinitionOrJob();
    });
  });

  describe('413', () => {
    it('refuses a body over 64 KiB', async () => {
      const { result } = await invoke(postJobsEvent({ image: 'alpine', command: ['x'.repeat(64 * 1024)] }));

      expectProblem(result, 413);
      expect(batchMock.calls()).toHaveLength(0);
    });
  });

  describe('422', () => {
    it('refuses an image whose manifest does not exist, naming it', async () => {
      manifestExists.mockResolvedValue(false);

      const { result, body } = await invoke(
        postJobsEvent({ image: 'registry.example.com/team/app:missing' }),
      );

      expectProblem(result, 422);
      expect(body.detail).toContain('registry.example.com/team/app:missing');
      expectNoJobDefinitionOrJob();
    });

    it('refuses an image that a registry without stored credentials will not show', async () => {
      manifestExists.mockRejectedValue(
        new RegistryError('unauthorized', 'public.ecr.aws', 401, 'public.ecr.aws answered 401'),
      );

      const { result } = await invoke(postJobsEvent({ image: 'public.ecr.aws/team/private:1' }));

      expectProblem(result, 422);
    });

    it('refuses, as 422 not 502, a repository the accepted stored credentials cannot read (Docker Hub typo)', async () => {
      manifestExists.mockRejectedValue(
        new RegistryError('not-found', 'docker.io', 401, 'registry docker.io has no repository team/tpyo'),
      );

      const { result, body } = await invoke(postJobsEvent({ image: 'team/tpyo:1' }));

      expectProblem(result, 422);
      expect(body.detail).toBe(
        "The image docker.io/team/tpyo:1 does not exist in the registry docker.io, or the gateway's credentials cannot read it.",
      );
    });

    it('does not cache a missing image', async () => {
      manifestExists.mockResolvedValueOnce(false).mockResolvedValueOnce(true);

      const first = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:soon' }));
      const second = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:soon' }));

      expect([first.result.statusCode, second.result.statusCode]).toEqual([422, 202]);
    });
  });

  describe('429', () => {
    it.each<[string, (error: Error) => void]>([
      ['SubmitJob', (error) => batchMock.on(SubmitJobCommand).rejects(error)],
      ['DescribeJobDefinitions', (error) => batchMock.on(DescribeJobDefinitionsCommand).rejects(error)],
      ['RegisterJobDefinition', (error) => batchMock.on(RegisterJobDefinitionCommand).rejects(error)],
    ])('answers 429 with Retry-After when AWS Batch throttles %s', async (_name, throttle) => {
      throttle(batchTooManyRequests());

      const { result, body } = await invoke(postJobsEvent({ image: 'alpine' }));

      expectProblem(result, 429);
      expect(result.headers?.['retry-after']).toBe('2');
      expect(body.detail).not.toContain('Too Many Requests');
    });

    it('answers 429 when Secrets Manager throttles the secret read', async () => {
      secretsMock.on(GetSecretValueCommand).rejects(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      );

      const { result } = await invoke(postJobsEvent({ image: 'alpine' }));

      expectProblem(result, 429);
      expect(result.headers?.['retry-after']).toBe('2');
    });
  });

  describe('502', () => {
    it.each<[RegistryErrorKind, number | undefined, RegExp]>([
      ['unauthorized', 401, /rejected the gateway's stored credentials/],
      ['unreachable', undefined, /unreachable/],
      ['tls', undefined, /TLS/],
      ['unexpected-status', 500, /HTTP status 500/],
    ])('answers 502 naming the registry when the registry fails with %s', async (kind, status, detail) => {
      manifestExists.mockRejectedValue(
        new RegistryError(kind, 'registry.example.com', status, `registry.example.com failed (${kind})`),
      );

      const { result, body } = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));

      expectProblem(result, 502);
      expect(body.detail).toMatch(detail);
      expect(body.detail).toContain('registry.example.com');
      expect(result.body).not.toContain('bot');
      expectNoJobDefinitionOrJob();
    });

    it('reads the secret afresh after a registry refused the stored credentials (they may have been rotated)', async () => {
      manifestExists
        .mockRejectedValueOnce(new RegistryError('unauthorized', 'registry.example.com', 401, 'refused'))
        .mockResolvedValue(true);

      const first = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));
      const second = await invoke(postJobsEvent({ image: 'registry.example.com/team/app:1' }));

      expect([first.result.statusCode, second.result.statusCode]).toEqual([502, 202]);
      expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    });

    it('looks the job definition up again after Batch refused a submission with it', async () => {
      batchMock
        .on(SubmitJobCommand)
        .rejectsOnce(new ClientException({ message: 'Job definition is INACTIVE', $metadata: {} }))
        .resolves({
          jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
          jobName: 'alpine-latest',
          jobId: JOB_ID,
        });

      const first = await invoke(postJobsEvent({ image: 'alpine' }));
      const second = await invoke(postJobsEvent({ image: 'alpine' }));

      expect([first.result.statusCode, second.result.statusCode]).toEqual([502, 202]);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 2);
    });

    it('answers 502 without the AWS message when AWS Batch rejects the submission', async () => {
      batchMock.on(SubmitJobCommand).rejects(
        new ClientException({
          message: 'Job queue arn:aws:batch:internal-detail is DISABLED',
          $metadata: {},
        }),
      );

      const { result, body } = await invoke(postJobsEvent({ image: 'alpine' }));

      expectProblem(result, 502);
      expect(result.body).not.toContain('internal-detail');
      expect(body.detail).toMatch(/AWS Batch did not accept the job/);
    });

    it('answers 502 without details when the registry secret is malformed', async () => {
      secretsMock.on(GetSecretValueCommand).resolves({
        ARN: REGISTRY_SECRET_ARN,
        Name: 'brg/registries',
        VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE22222',
        SecretString: JSON.stringify({ username: 'bot', password: '' }),
      });

      const { result, body } = await invoke(postJobsEvent({ image: 'alpine' }));

      expectProblem(result, 502);
      expect(body.detail).toBe('The gateway cannot use its registry credentials.');
    });
  });
});
