import { DEFAULT_REGISTRY_SECRET_PREFIX, loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:registry-credentials-AbCdEf';

function problemsOf(
  env: Record<string, string>,
  needs: Parameters<typeof loadConfig>[1] = [],
): readonly string[] {
  try {
    loadConfig(env, needs);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the defaults of SPEC §5 when only the secret is set', () => {
    const config = loadConfig({ REGISTRY_SECRET_ARN: SECRET });

    expect(config).toEqual({
      registrySecretArn: SECRET,
      launchTemplateId: '',
      computeEnvironments: [],
      jobQueue: '',
      jobRoleArn: undefined,
      allowedRegistries: [],
      verifyImages: true,
      verifyCredentials: true,
      updateTerminateJobs: false,
      updateJobTimeoutMinutes: 30,
      keepLaunchTemplateVersions: 10,
      secretCacheSeconds: 60,
      imageCacheSeconds: 30,
      registryTimeoutMs: 5000,
      registryDeadlineMs: 6000,
      stagingSecretArn: undefined,
      taskCredentials: true,
      instanceCredentials: true,
      registrySecretPrefix: DEFAULT_REGISTRY_SECRET_PREFIX,
      executionRoleArn: undefined,
      assignPublicIp: 'DISABLED',
      idempotencyTable: undefined,
      adminPrincipals: [],
      eventBusName: 'default',
      defaultShareIdentifier: undefined,
      stage: 'dev',
      convergenceTable: undefined,
    });
  });

  it('reads the settings of SPEC §11-§15', () => {
    const config = loadConfig({
      REGISTRY_SECRET_ARN: SECRET,
      REGISTRY_STAGING_SECRET_ARN: 'brg-staging',
      TASK_CREDENTIALS: 'false',
      INSTANCE_CREDENTIALS: 'true',
      REGISTRY_SECRET_PREFIX: 'brg/prod/registry/',
      EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-execution',
      ASSIGN_PUBLIC_IP: 'enabled',
      IDEMPOTENCY_TABLE: 'brg-idempotency',
      ADMIN_PRINCIPALS: ' arn:aws:iam::123456789012:role/ops , arn:aws:iam::123456789012:user/alice',
      EVENT_BUS_NAME: 'ops',
      DEFAULT_SHARE_IDENTIFIER: 'teamA',
    });

    expect(config).toMatchObject({
      stagingSecretArn: 'brg-staging',
      taskCredentials: false,
      instanceCredentials: true,
      registrySecretPrefix: 'brg/prod/registry/',
      executionRoleArn: 'arn:aws:iam::123456789012:role/brg-execution',
      assignPublicIp: 'ENABLED',
      idempotencyTable: 'brg-idempotency',
      adminPrincipals: ['arn:aws:iam::123456789012:role/ops', 'arn:aws:iam::123456789012:user/alice'],
      eventBusName: 'ops',
      defaultShareIdentifier: 'teamA',
    });
  });

  it('names a malformed setting of SPEC §11-§15', () => {
    expect(
      problemsOf({
        REGISTRY_SECRET_ARN: SECRET,
        REGISTRY_SECRET_PREFIX: 'has space/',
        EXECUTION_ROLE_ARN: 'execution',
        ASSIGN_PUBLIC_IP: 'maybe',
        DEFAULT_SHARE_IDENTIFIER: 'team-a',
      }),
    ).toEqual([
      'REGISTRY_SECRET_PREFIX must be 1-256 characters of A-Z a-z 0-9 / _ + = . @ -',
      'EXECUTION_ROLE_ARN must be an IAM role ARN',
      'ASSIGN_PUBLIC_IP must be "ENABLED" or "DISABLED"',
      'DEFAULT_SHARE_IDENTIFIER must be 1-255 letters and digits',
    ]);
  });

  it('reads every variable, trimming lists and normalising allowed registries', () => {
    const config = loadConfig(
      {
        REGISTRY_SECRET_ARN: SECRET,
        LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
        COMPUTE_ENVIRONMENTS:
          ' ce-ondemand, arn:aws:batch:eu-west-1:111122223333:compute-environment/ce-spot ,',
        JOB_QUEUE: 'private-registry',
        JOB_ROLE_ARN: 'arn:aws:iam::111122223333:role/batch-job',
        ALLOWED_REGISTRIES: 'public.ecr.aws, https://index.docker.io/v1/',
        VERIFY_IMAGES: 'FALSE',
        VERIFY_CREDENTIALS: 'false',
        UPDATE_TERMINATE_JOBS: 'true',
        UPDATE_JOB_TIMEOUT_MINUTES: '45',
        KEEP_LAUNCH_TEMPLATE_VERSIONS: '3',
        IMAGE_CACHE_SECONDS: '0',
      },
      ['rollout', 'gateway'],
    );

    expect(config.computeEnvironments).toEqual([
      'ce-ondemand',
      'arn:aws:batch:eu-west-1:111122223333:compute-environment/ce-spot',
    ]);
    expect(config.allowedRegistries.map((registry) => registry.name)).toEqual([
      'public.ecr.aws',
      'docker.io',
    ]);
    expect(config).toMatchObject({
      launchTemplateId: 'lt-0123456789abcdef0',
      jobQueue: 'private-registry',
      jobRoleArn: 'arn:aws:iam::111122223333:role/batch-job',
      verifyImages: false,
      verifyCredentials: false,
      updateTerminateJobs: true,
      updateJobTimeoutMinutes: 45,
      keepLaunchTemplateVersions: 3,
      imageCacheSeconds: 0,
    });
  });

  it('names every problem at once, in one error', () => {
    const problems = problemsOf(
      {
        VERIFY_IMAGES: 'yes',
        UPDATE_JOB_TIMEOUT_MINUTES: '-5',
        KEEP_LAUNCH_TEMPLATE_VERSIONS: '1.5',
        JOB_ROLE_ARN: 'batch-job',
        ALLOWED_REGISTRIES: 'ghcr.io,ftp://files.example.com',
      },
      ['rollout', 'gateway'],
    );

    expect(problems).toEqual([
      'REGISTRY_SECRET_ARN is required',
      'JOB_QUEUE is required',
      'JOB_ROLE_ARN must be an IAM role ARN',
      'ALLOWED_REGISTRIES entry 2: registry_url must use https:// or http://',
      'VERIFY_IMAGES must be "true" or "false"',
      'UPDATE_JOB_TIMEOUT_MINUTES must be an integer from 1 to 7200',
      'KEEP_LAUNCH_TEMPLATE_VERSIONS must be an integer from 1 to 10000',
    ]);
  });

  it('reads REGISTRY_DEADLINE_MS and refuses one past what API Gateway waits', () => {
    // act
    const read = loadConfig({ REGISTRY_SECRET_ARN: SECRET, REGISTRY_DEADLINE_MS: '2500' });
    const tooLong = problemsOf({ REGISTRY_SECRET_ARN: SECRET, REGISTRY_DEADLINE_MS: '30000' });

    // assert
    expect(read.registryDeadlineMs).toBe(2500);
    expect(tooLong).toEqual(['REGISTRY_DEADLINE_MS must be an integer from 100 to 25000']);
  });

  it('requires only what the function needs', () => {
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET }, ['gateway'])).toEqual(['JOB_QUEUE is required']);
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET }, ['rollout'])).toEqual([]);
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET })).toEqual([]);
  });

  it('needs a launch template for the rollout only without task credentials (SPEC §11)', () => {
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET, TASK_CREDENTIALS: 'false' }, ['rollout'])).toEqual([
      'LAUNCH_TEMPLATE_ID is required unless TASK_CREDENTIALS=true',
    ]);
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET, TASK_CREDENTIALS: 'false' }, ['gateway'])).toEqual([
      'JOB_QUEUE is required',
    ]);
  });

  it('refuses the hardened mode without task credentials: no job could reach a private registry', () => {
    expect(
      problemsOf({
        REGISTRY_SECRET_ARN: SECRET,
        LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
        INSTANCE_CREDENTIALS: 'false',
        TASK_CREDENTIALS: 'false',
      }),
    ).toEqual([
      'INSTANCE_CREDENTIALS=false needs TASK_CREDENTIALS=true, or no job could reach a private registry',
    ]);
  });

  it('reads the stage and requires the convergence table for fleetReport (SPEC §12)', () => {
    const config = loadConfig(
      { REGISTRY_SECRET_ARN: SECRET, STAGE: 'prod', CONVERGENCE_TABLE: 'brg-prod-convergence' },
      ['fleet'],
    );

    expect(config).toMatchObject({ stage: 'prod', convergenceTable: 'brg-prod-convergence' });
    expect(problemsOf({ REGISTRY_SECRET_ARN: SECRET }, ['fleet'])).toEqual(['CONVERGENCE_TABLE is required']);
  });

  it('says which variables are wrong in its message, without quoting their values', () => {
    const env = {
      REGISTRY_SECRET_ARN: SECRET,
      ALLOWED_REGISTRIES: 'https://bot:hunter2@registry.example.com',
    };

    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^Invalid configuration: ALLOWED_REGISTRIES entry 1: /);
    expect(() => loadConfig(env)).not.toThrow(/hunter2/);
  });
});
