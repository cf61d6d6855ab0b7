import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { setEnv } from '../helpers/env';
import { loadFixture } from '../helpers/fixtures';

type ListRegistriesModule = typeof import('../../handlers/list-registries');

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:brg/registries-AbCdEf';
const PASSWORD = 'pw-Leak-Canary-list-5e1f';
const ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  REGISTRY_SECRET_ARN: SECRET_ARN,
  ALLOWED_REGISTRIES: 'public.ecr.aws, ghcr.io',
  // These tests assert on log lines (captured below), so the handler logs.
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

const secretsManagerMock = mockClient(SecretsManagerClient);
const context = { awsRequestId: '3f6d2a4e-1c2b-4d5e-8f90-a1b2c3d4e5f6' } as Context;
let restoreEnv: (() => void) | undefined;
let mod: ListRegistriesModule;
let logged: string[];

beforeAll(async () => {
  restoreEnv = setEnv(ENV);
  mod = await import('../../handlers/list-registries');
});

afterAll(() => {
  restoreEnv?.();
});

beforeEach(() => {
  secretsManagerMock.reset();
  mod.registrySecret.invalidate();
  logged = [];
  const capture = (...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  };
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation(capture);
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});

function secretValue(secretString: string): GetSecretValueCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: 'a8b7c6d5-e4f3-4a2b-9c1d-0e1f2a3b4c5d', attempts: 1 },
    ARN: SECRET_ARN,
    Name: 'brg/registries',
    VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE',
    SecretString: secretString,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2025-03-01T10:00:00Z'),
  };
}

async function invoke(): Promise<HttpResult> {
  const event = loadFixture<HttpEvent>('http/get-registries.json');
  return mod.handler(event, context);
}

function expectNoLeak(result: HttpResult): void {
  const everything = `${JSON.stringify(result)}\n${logged.join('\n')}`;
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain('Leak-Canary');
  expect(everything).not.toContain('AWS4-HMAC-SHA256');
}

describe('GET /registries', () => {
  it('answers 200 with the sorted unique names of the secret and ALLOWED_REGISTRIES', async () => {
    // prepare
    secretsManagerMock.on(GetSecretValueCommand).resolves(
      secretValue(
        JSON.stringify({
          registries: [
            { registry_url: 'ghcr.io', username: 'bot', password: PASSWORD },
            { registry_url: 'https://index.docker.io/v1/', username: 'bot', password: PASSWORD },
            { registry_url: 'http://10.0.0.5:5000', username: 'bot', password: PASSWORD },
          ],
        }),
      ),
    );

    // act
    const result = await invoke();

    // assert
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body ?? '')).toEqual({
      registries: ['10.0.0.5:5000', 'docker.io', 'ghcr.io', 'public.ecr.aws'],
    });
    expect(secretsManagerMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
      VersionStage: 'AWSCURRENT',
    });
    expectNoLeak(result);
  });

  it('lists Docker Hub for a seed-form secret without registry_url', async () => {
    // prepare
    secretsManagerMock
      .on(GetSecretValueCommand)
      .resolves(secretValue(JSON.stringify({ username: 'bot', password: PASSWORD })));

    // act
    const result = await invoke();

    // assert
    expect(JSON.parse(result.body ?? '')).toEqual({ registries: ['docker.io', 'ghcr.io', 'public.ecr.aws'] });
    expectNoLeak(result);
  });

  it('reads the secret once while the cached value is fresh', async () => {
    // prepare
    secretsManagerMock
      .on(GetSecretValueCommand)
      .resolves(secretValue(JSON.stringify({ username: 'bot', password: PASSWORD })));

    // act
    await invoke();
    const second = await invoke();

    // assert
    expect(second.statusCode).toBe(200);
    expect(secretsManagerMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('answers a generic 502 and logs the rule when the stored secret names a registry twice', async () => {
    // prepare
    secretsManagerMock.on(GetSecretValueCommand).resolves(
      secretValue(
        JSON.stringify({
          registries: [
            { registry_url: 'docker.io', username: 'bot', password: PASSWORD },
            { registry_url: 'registry-1.docker.io', username: 'bot', password: PASSWORD },
          ],
        }),
      ),
    );

    // act
    const result = await invoke();

    // assert
    expect(result.statusCode).toBe(502);
    expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    const body = JSON.parse(result.body ?? '');
    expect(body).toMatchObject({ status: 502, title: 'Bad Gateway' });
    expect(body.detail).toBe('The gateway cannot use its registry credentials.');
    expect(logged.join('\n')).toMatch(
      /registries\[1\] \(docker\.io\) names the same registry as registries\[0\]/,
    );
    expectNoLeak(result);
  });

  it('answers 502 without quoting the value when the stored secret is not JSON', async () => {
    // prepare
    secretsManagerMock
      .on(GetSecretValueCommand)
      .resolves(secretValue(`{"username":"bot","password":${PASSWORD}}`));

    // act
    const result = await invoke();

    // assert
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body ?? '').detail).toBe('The gateway cannot use its registry credentials.');
    expect(logged.join('\n')).toMatch(/not valid JSON/);
    expectNoLeak(result);
  });

  it('answers 429 with Retry-After when Secrets Manager throttles', async () => {
    // prepare
    secretsManagerMock.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // act
    const result = await invoke();

    // assert
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({ 'retry-after': '2' });
  });

  it('answers 502 without AWS details when the secret cannot be read', async () => {
    // prepare
    secretsManagerMock.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // act
    const result = await invoke();

    // assert
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body ?? '')).toMatchObject({
      detail: 'The gateway could not read its registry secret.',
    });
    expectNoLeak(result);
  });
});
