import { loadConfig } from '../../../lib/config';
import { ConfigError } from '../../../lib/errors';
import {
  DefinitionPlanner,
  type DefinitionSettings,
  definitionSettings,
} from '../../../lib/jobs/definition-plan';
import type { ImageRegistry } from '../../../lib/jobs/image-access';
import { parseImageReference } from '../../../lib/registry/reference';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';

const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/brg-test-execution';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:brg/registry/ghcr.io-Ab12Cd';
const settings: DefinitionSettings = {
  stage: 'test',
  taskCredentials: true,
  executionRoleArn: EXECUTION_ROLE,
  jobRoleArn: undefined,
  assignPublicIp: 'ENABLED',
  secretCacheSeconds: 30,
};
const image = parseImageReference('ghcr.io/org/app:1');
const credentialed: ImageRegistry = {
  registry: normaliseRegistryName('ghcr.io'),
  credentials: { username: 'bot', password: 'pw-plan-1' },
};
const allowed: ImageRegistry = { registry: normaliseRegistryName('ghcr.io'), credentials: undefined };

function planner(overrides: Partial<DefinitionSettings>, arn: string | undefined) {
  const lookups: string[] = [];
  const plan = new DefinitionPlanner(
    {
      arnFor: async (registry) => {
        lookups.push(registry);
        return arn;
      },
    },
    { ...settings, ...overrides },
  );
  return { plan, lookups };
}

describe('DefinitionPlanner', () => {
  it('looks nothing up with task credentials off: no repositoryCredentials, the execution role on Fargate only', async () => {
    const { plan, lookups } = planner({ taskCredentials: false }, SECRET);

    const ec2 = await plan.identity(image, credentialed, 'EC2');
    const fargate = await plan.identity(image, credentialed, 'FARGATE');

    expect(lookups).toEqual([]);
    expect([ec2.credentialSecretArn, ec2.executionRoleArn]).toEqual([undefined, undefined]);
    expect([fargate.credentialSecretArn, fargate.executionRoleArn]).toEqual([undefined, EXECUTION_ROLE]);
    expect(fargate.assignPublicIp).toBe('ENABLED');
  });

  it('answers 502 for a Fargate queue without an execution role, naming nothing internal', async () => {
    const { plan } = planner({ taskCredentials: false, executionRoleArn: undefined }, SECRET);

    await expect(plan.identity(image, allowed, 'FARGATE')).rejects.toMatchObject({
      statusCode: 502,
      message: 'The gateway is not configured for a Fargate job queue.',
    });
  });

  it('answers 503 on Fargate with Retry-After = SECRET_CACHE_SECONDS while the credential secret is missing', async () => {
    const { plan } = planner({}, undefined);

    await expect(plan.identity(image, credentialed, 'FARGATE')).rejects.toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '30' },
    });
  });
});

describe('definitionSettings', () => {
  const env = {
    REGISTRY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    JOB_QUEUE: 'q',
  };

  it('requires EXECUTION_ROLE_ARN with task credentials (the default), at cold start', () => {
    expect(() => definitionSettings(loadConfig(env, ['gateway']))).toThrow(ConfigError);
    expect(definitionSettings(loadConfig({ ...env, TASK_CREDENTIALS: 'false' }, ['gateway']))).toMatchObject({
      taskCredentials: false,
      stage: 'dev',
    });
    expect(
      definitionSettings(
        loadConfig({ ...env, EXECUTION_ROLE_ARN: EXECUTION_ROLE, STAGE: 'prod' }, ['gateway']),
      ),
    ).toMatchObject({ executionRoleArn: EXECUTION_ROLE, stage: 'prod' });
  });

  it('refuses a STAGE that cannot be part of a job definition name', () => {
    expect(() => loadConfig({ ...env, STAGE: 'prod/eu' }, ['gateway'])).toThrow(/STAGE must be/);
  });
});
