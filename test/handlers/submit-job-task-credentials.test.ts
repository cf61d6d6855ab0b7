import {
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { HttpResult } from '../../lib/http';
import { captureLogs } from '../helpers/capture-logs';
import { QUEUE } from '../helpers/handler-harness';
import { mockJobQueue } from '../helpers/job-queue';
import { postJobsEvent, submitJobHarness } from '../helpers/submit-job-harness';

// POST /jobs with per-task registry credentials and on Fargate queues (SPEC §11, issue 17 item 3).

const ACCOUNT = '123456789012';
const PASSWORD = 'pw-Recognisable-5e6f7a';
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/brg-test-execution`;
const PREFIX = 'brg/registry-credentials/';
const CREDENTIAL_NAME = `${PREFIX}registry.example.com`;
const CREDENTIAL_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${CREDENTIAL_NAME}-Ab12Cd`;
const IMAGE = 'registry.example.com/team/app:1.4.2';
const DIGEST = `sha256:${'d'.repeat(64)}`;

const { batchMock, secretsMock, manifestExists, invoke } = submitJobHarness({
  env: {
    ALLOWED_REGISTRIES: 'public.ecr.aws',
    SECRET_CACHE_SECONDS: '60',
    STAGE: 'test',
    EXECUTION_ROLE_ARN: EXECUTION_ROLE,
    REGISTRY_SECRET_PREFIX: PREFIX,
    ASSIGN_PUBLIC_IP: 'DISABLED',
  },
  registries: [{ registry_url: 'https://registry.example.com', username: 'bot', password: PASSWORD }],
});

function onPlatform(type: 'EC2' | 'FARGATE' | 'FARGATE_SPOT'): void {
  mockJobQueue(batchMock, QUEUE, type);
}

function credentialSecret(state: 'present' | 'missing' | 'scheduled-for-deletion'): void {
  if (state === 'missing') {
    secretsMock.on(DescribeSecretCommand).rejects(
      new ResourceNotFoundException({
        $metadata: {},
        message: "Secrets Manager can't find the specified secret.",
      }),
    );
    return;
  }
  secretsMock.on(DescribeSecretCommand).resolves({
    ARN: CREDENTIAL_ARN,
    Name: CREDENTIAL_NAME,
    VersionIdsToStages: { 'b2c3d4e5-6789-01bc-def0-EXAMPLE22222': ['AWSCURRENT'] },
    ...(state === 'scheduled-for-deletion' ? { DeletedDate: new Date('2025-04-13T10:00:00Z') } : {}),
  });
}

beforeEach(() => {
  credentialSecret('present');
});

async function post(
  body: Record<string, unknown>,
): Promise<{ result: HttpResult; body: Record<string, unknown> }> {
  return invoke(postJobsEvent(body));
}

function registered(index = 0) {
  return batchMock.commandCalls(RegisterJobDefinitionCommand)[index]?.args[0].input;
}

describe('POST /jobs with task credentials (SPEC §11)', () => {
  describe('EC2 queue', () => {
    it('registers a definition with the credential secret ARN and the execution role, found by name', async () => {
      const { result } = await post({ image: IMAGE });

      expect(result.statusCode).toBe(202);
      expect(secretsMock).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: CREDENTIAL_NAME });
      expect(registered()?.platformCapabilities).toEqual(['EC2']);
      expect(registered()?.containerProperties).toMatchObject({
        executionRoleArn: EXECUTION_ROLE,
        repositoryCredentials: { credentialsParameter: CREDENTIAL_ARN },
      });
      expect(registered()?.containerProperties?.networkConfiguration).toBeUndefined();
    });

    it('gives an ALLOWED_REGISTRIES image neither repositoryCredentials nor an execution role', async () => {
      const { result } = await post({ image: 'public.ecr.aws/docker/library/busybox:1.36' });

      expect(result.statusCode).toBe(202);
      expect(secretsMock).not.toHaveReceivedCommand(DescribeSecretCommand);
      expect(registered()?.containerProperties?.repositoryCredentials).toBeUndefined();
      expect(registered()?.containerProperties?.executionRoleArn).toBeUndefined();
    });

    it.each(['missing', 'scheduled-for-deletion'] as const)(
      'falls back to instance credentials while the credential secret is %s, logging it once',
      async (state) => {
        credentialSecret(state);

        const logs = await captureLogs(async () => {
          expect((await post({ image: IMAGE })).result.statusCode).toBe(202);
          expect((await post({ image: `${IMAGE}-b` })).result.statusCode).toBe(202);
        });

        expect(registered()?.containerProperties?.repositoryCredentials).toBeUndefined();
        expect(registered()?.containerProperties?.executionRoleArn).toBeUndefined();
        expect(logs.match(/no credential secret for the registry yet/g)).toHaveLength(1);
        expect(logs).not.toContain(PASSWORD);
      },
    );

    it('switches to a new definition with repositoryCredentials once the secret exists and the lookup expires', async () => {
      const now = jest.spyOn(Date, 'now');
      try {
        now.mockReturnValue(1_000_000);
        credentialSecret('missing');
        await post({ image: IMAGE });
        credentialSecret('present');
        await post({ image: IMAGE });
        now.mockReturnValue(1_000_000 + 60_000);
        await post({ image: IMAGE });
      } finally {
        now.mockRestore();
      }

      expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 2);
      expect(registered(0)?.containerProperties?.repositoryCredentials).toBeUndefined();
      expect(registered(1)?.containerProperties?.repositoryCredentials).toEqual({
        credentialsParameter: CREDENTIAL_ARN,
      });
      expect(registered(1)?.jobDefinitionName).not.toBe(registered(0)?.jobDefinitionName);
      const submitted = batchMock
        .commandCalls(SubmitJobCommand)
        .map((call) => call.args[0].input.jobDefinition);
      expect(submitted[2]).toContain(registered(1)?.jobDefinitionName);
    });

    it('refuses vcpus that are not a whole number ≥ 1, before any registry call', async () => {
      const { result, body } = await post({ image: IMAGE, vcpus: 0.5 });

      expect(result.statusCode).toBe(400);
      expect(body.errors).toEqual([{ path: 'vcpus', message: expect.stringMatching(/whole number/) }]);
      expect(manifestExists).not.toHaveBeenCalled();
      expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
    });
  });

  describe('Fargate queue', () => {
    beforeEach(() => onPlatform('FARGATE_SPOT'));

    it('learns the platform once and registers a Fargate definition with credentials and network', async () => {
      const first = await post({ image: IMAGE, vcpus: 0.25 });
      const second = await post({ image: IMAGE, memory: 3072 });

      expect([first.result.statusCode, second.result.statusCode]).toEqual([202, 202]);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobQueuesCommand, 1);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeComputeEnvironmentsCommand, 1);
      expect(registered()).toEqual({
        jobDefinitionName: expect.stringMatching(
          /^brg-test-registry-example-com-team-app-1-4-2-[0-9a-f]{12}$/,
        ),
        type: 'container',
        platformCapabilities: ['FARGATE'],
        containerProperties: {
          image: IMAGE,
          resourceRequirements: [
            { type: 'VCPU', value: '1' },
            { type: 'MEMORY', value: '2048' },
          ],
          executionRoleArn: EXECUTION_ROLE,
          repositoryCredentials: { credentialsParameter: CREDENTIAL_ARN },
          networkConfiguration: { assignPublicIp: 'DISABLED' },
          fargatePlatformConfiguration: { platformVersion: 'LATEST' },
        },
        tags: { 'batch-registry-gateway:managed': 'true' },
      });
      const overrides = batchMock
        .commandCalls(SubmitJobCommand)
        .map((call) => call.args[0].input.containerOverrides?.resourceRequirements);
      expect(overrides).toEqual([
        [
          { type: 'VCPU', value: '0.25' },
          { type: 'MEMORY', value: '512' },
        ],
        [
          { type: 'VCPU', value: '0.5' },
          { type: 'MEMORY', value: '3072' },
        ],
      ]);
    });

    it('gives an ALLOWED_REGISTRIES image the execution role but no repositoryCredentials', async () => {
      const { result } = await post({ image: 'public.ecr.aws/docker/library/busybox:1.36' });

      expect(result.statusCode).toBe(202);
      expect(registered()?.containerProperties?.executionRoleArn).toBe(EXECUTION_ROLE);
      expect(registered()?.containerProperties?.repositoryCredentials).toBeUndefined();
    });

    it.each(['missing', 'scheduled-for-deletion'] as const)(
      'answers 503 with Retry-After while the credential secret is %s, registering and submitting nothing',
      async (state) => {
        credentialSecret(state);

        const { result, body } = await post({ image: IMAGE });

        expect(result.statusCode).toBe(503);
        expect(result.headers).toMatchObject({
          'content-type': 'application/problem+json',
          'retry-after': '60',
        });
        expect(body).toMatchObject({ status: 503, detail: expect.stringContaining('registry.example.com') });
        expect(result.body).not.toContain(PASSWORD);
        expect(batchMock).not.toHaveReceivedCommand(RegisterJobDefinitionCommand);
        expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
      },
    );

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['gpus', { gpus: 1 }, 'gpus', /not available on a Fargate queue/],
      ['vcpus off the table', { vcpus: 0.3 }, 'vcpus', /0\.25, 0\.5, 1, 2, 4, 8, 16/],
      ['memory off the table', { memory: 1536 }, 'memory', /0\.25 vCPU: 512, 1024, 2048 MiB/],
      ['a combination off the table', { vcpus: 2, memory: 2048 }, 'memory', /4096–16384 in steps of 1024/],
    ])('refuses %s with a 400 listing the allowed values', async (_case, extra, path, message) => {
      const { result, body } = await post({ image: IMAGE, ...extra });

      expect(result.statusCode).toBe(400);
      expect(body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(manifestExists).not.toHaveBeenCalled();
      expect(batchMock).not.toHaveReceivedCommand(SubmitJobCommand);
    });

    it('makes exactly one AWS call on the warm path', async () => {
      await post({ image: IMAGE });
      batchMock.resetHistory();
      secretsMock.resetHistory();

      const { result } = await post({ image: IMAGE, vcpus: 4, memory: 8192 });

      expect(result.statusCode).toBe(202);
      expect(batchMock.calls().map((call) => call.args[0].constructor.name)).toEqual(['SubmitJobCommand']);
      expect(secretsMock.calls()).toHaveLength(0);
    });
  });

  describe('digest-pinned images (issue 17: input-driven growth)', () => {
    // The review showed 20 000 such requests registering 20 000 definitions; 2 000 prove the bound
    // as well (one definition, one look-up) in a fraction of the time.
    it('registers one definition for 2 000 requests that each name a new tag with the same digest', async () => {
      const total = 2_000;
      const batchSize = 500;
      for (let start = 0; start < total; start += batchSize) {
        const results = await Promise.all(
          Array.from({ length: batchSize }, (_, offset) =>
            post({ image: `${IMAGE.split(':')[0]}:t${start + offset}@${DIGEST}` }),
          ),
        );
        expect(results.every(({ result }) => result.statusCode === 202)).toBe(true);
      }

      expect(batchMock).toHaveReceivedCommandTimes(RegisterJobDefinitionCommand, 1);
      expect(batchMock).toHaveReceivedCommandTimes(DescribeJobDefinitionsCommand, 1);
      expect(registered()?.containerProperties?.image).toBe(`registry.example.com/team/app@${DIGEST}`);
      expect(batchMock).toHaveReceivedCommandTimes(SubmitJobCommand, total);
    }, 120_000);
  });
});
