import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMBINATIONS, packageTemplate, type Template } from '../../scripts/stack/validate';
import { checkParameters, refusal } from '../../scripts/stack/validate/parameters';

// Every stack parameter refuses a wrong value by its own rules (AllowedValues, AllowedPattern,
// MinValue/MaxValue, evaluated here as CloudFormation does), so a wrong --param fails at the start
// of a deploy. One row per parameter: a parameter without a row fails the coverage test.

const ACCOUNT = '123456789012';
const CASES: Record<string, { wrong: string[]; right: string[] }> = {
  SubnetIds: {
    wrong: ['subnet-xyz', 'sg-0a1b2c3d', 'subnet-0a1b2c3d subnet-0b1c2d3e'],
    right: ['subnet-0a1b2c3d'],
  },
  SecurityGroupIds: { wrong: ['subnet-0a1b2c3d', 'sg-12'], right: ['sg-0a1b2c3d4e5f60718,sg-0a1b2c3d'] },
  FunctionSubnetIds: { wrong: ['subnet-0a1b2c3d,vpc-0a1b2c3d'], right: ['', 'subnet-0a1b2c3d'] },
  FunctionSecurityGroupIds: { wrong: ['default'], right: ['', 'sg-0a1b2c3d'] },
  ExistingSecretArn: {
    wrong: ['registry-credentials', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/x`],
    right: ['', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:registry-credentials-AbCdEf`],
  },
  ExistingLaunchTemplateId: { wrong: ['lt-123', 'my-template'], right: ['', 'lt-0a1b2c3d4e5f60718'] },
  ExistingComputeEnvironments: {
    wrong: [`arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/ce`, 'a,b,c,d,e,f', 'ce one', 'ce,'],
    right: ['', 'ce', 'a,b,c,d,e'],
  },
  ExistingJobQueue: {
    wrong: [`arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/q`, 'q,r'],
    right: ['', 'jobs_1'],
  },
  MaxvCpus: { wrong: ['0', 'many', '100001'], right: ['1', '256'] },
  InstanceTypes: { wrong: ['M5.LARGE', 'optimal;c5', ''], right: ['optimal', 'default_arm64,c7g,m6i.large'] },
  RotationSchedule: {
    wrong: ['every 30 days', 'rate(30 minutes)', 'rate(0 days)', ''],
    right: ['none', 'rate(30 days)', 'rate(4 hours)', 'cron(0 4 1 * ? *)'],
  },
  ThrottleRateLimit: { wrong: ['0', 'unlimited'], right: ['1', '20', '10000'] },
  ThrottleBurstLimit: { wrong: ['0', '5001'], right: ['40'] },
  JobRoleArn: {
    wrong: ['batch-job-role', `arn:aws:iam::${ACCOUNT}:user/someone`],
    right: ['', `arn:aws:iam::${ACCOUNT}:role/path/batch-job-role`],
  },
  SecretKmsKeyArn: {
    wrong: [`arn:aws:kms:us-east-1:${ACCOUNT}:alias/registry`, '1234abcd-12ab-34cd-56ef-1234567890ab'],
    right: ['', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
  },
  AllowedRegistries: {
    wrong: [
      'ftp://registry.example.com',
      'https://user:pw@registry.example.com',
      'registry.example.com/team',
    ],
    right: ['', 'public.ecr.aws', 'public.ecr.aws, http://10.0.0.5:5000,https://[::1]:5000/v2/'],
  },
  VerifyImages: { wrong: ['yes', 'TRUE'], right: ['true', 'false'] },
  VerifyCredentials: { wrong: ['1'], right: ['true', 'false'] },
  UpdateTerminateJobs: { wrong: ['no'], right: ['true', 'false'] },
  UpdateJobTimeoutMinutes: { wrong: ['0', 'half an hour', '7201'], right: ['1', '30'] },
  KeepLaunchTemplateVersions: { wrong: ['0', 'all'], right: ['10'] },
  ReconcileSchedule: {
    wrong: ['hourly', 'rate(1 hours)', 'rate(2 hour)'],
    right: ['rate(1 hour)', 'rate(15 minutes)', 'cron(0 * * * ? *)'],
  },
  AdminPrincipals: {
    wrong: [
      'admin',
      'arn:aws:iam::1234:role/ops',
      `arn:aws:iam::${ACCOUNT}:role/ops, arn:aws:iam::${ACCOUNT}:role/b`,
    ],
    right: [
      '',
      `arn:aws:iam::${ACCOUNT}:role/ops`,
      `arn:aws:iam::${ACCOUNT}:role/a,arn:aws:sts::${ACCOUNT}:assumed-role/b`,
    ],
  },
  LogRetentionInDays: { wrong: ['31', '0', 'forever'], right: ['30', '1096', '3653'] },
  ComputeType: {
    wrong: ['ec2', 'EKS', '', 'fargate', 'SPOT_FARGATE'],
    right: ['EC2', 'SPOT', 'FARGATE', 'FARGATE_SPOT'],
  },
  TaskCredentials: { wrong: ['yes'], right: ['true', 'false'] },
  AssignPublicIp: { wrong: ['enabled', 'true'], right: ['ENABLED', 'DISABLED'] },
  InstanceCredentials: { wrong: ['off'], right: ['true', 'false'] },
  FleetReportSchedule: {
    wrong: ['every 15 minutes', 'rate(15 minute)', 'rate(1 minutes)'],
    right: ['rate(15 minutes)', 'rate(1 hour)', 'cron(0/15 * * * ? *)'],
  },
  EventBusName: {
    wrong: [`arn:aws:events:us-east-1:${ACCOUNT}:event-bus/ops`, 'ops bus', ''],
    right: ['default', 'ops-events'],
  },
  AlarmTopicArn: {
    wrong: ['ops-alarms', `arn:aws:sqs:us-east-1:${ACCOUNT}:ops-alarms`],
    right: ['', `arn:aws:sns:eu-west-1:${ACCOUNT}:ops-alarms`],
  },
  StaleAlarmHours: { wrong: ['0', '169', 'a day'], right: ['1', '24', '168'] },
};

let template: Template;

beforeAll(async () => {
  template = await packageTemplate((COMBINATIONS[0] as (typeof COMBINATIONS)[0]).params);
}, 10 * 60_000);

const parameter = (name: string) => {
  const found = template.Parameters?.[name];
  if (!found) throw new Error(`no parameter ${name}`);
  return found;
};

/** The --param names serverless.yml declares under params.default. */
function declaredParams(): string[] {
  const text = readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
  const block = /^params:\n {2}default:\n((?: {4}.*\n|\s*\n)+)/m.exec(text)?.[1] ?? '';
  return [...block.matchAll(/^ {4}([A-Za-z][A-Za-z0-9]*):/gm)].map((match) => match[1] as string);
}

describe('stack parameters', () => {
  it('declare every --param of serverless.yml as a CloudFormation parameter, so each is checked at deploy', () => {
    const params = declaredParams();

    expect(params.length).toBeGreaterThan(20);
    expect(params.map((name) => `${name[0]?.toUpperCase()}${name.slice(1)}`).sort()).toEqual(
      Object.keys(template.Parameters ?? {}).sort(),
    );
  });

  it('have a row here for every parameter of the template', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(template.Parameters ?? {}).sort());
  });

  it.each(Object.entries(CASES).flatMap(([name, { wrong }]) => wrong.map((value) => [name, value])))(
    'refuses %s=%j by the template’s own rules',
    (name, value) => {
      expect(refusal(parameter(name), value)).toEqual(expect.any(String));
    },
  );

  it.each(Object.entries(CASES).flatMap(([name, { right }]) => right.map((value) => [name, value])))(
    'accepts %s=%j',
    (name, value) => {
      expect(refusal(parameter(name), value)).toBeUndefined();
    },
  );

  it.each(Object.keys(CASES))('describes %s and says what it accepts', (name) => {
    const { Description, ConstraintDescription, Type, MinValue, MaxValue, AllowedValues } = parameter(name);

    expect(Description?.length).toBeGreaterThan(20);
    // A number's range speaks for itself in CloudFormation's message; other rules get a sentence.
    if (Type === 'Number' && !AllowedValues)
      expect([MinValue, MaxValue]).toEqual([expect.any(Number), expect.any(Number)]);
    else expect(ConstraintDescription?.length).toBeGreaterThan(10);
  });
});

describe('stack rules (parameters that only make sense together)', () => {
  const withValues = (values: Record<string, string>): Template => {
    const copy = structuredClone(template);
    for (const [name, value] of Object.entries(values))
      (copy.Parameters ?? {})[name] = { ...parameter(name), Default: value };
    return copy;
  };
  const refused = (values: Record<string, string>) =>
    checkParameters(withValues(values)).map((finding) => `${finding.path}: ${finding.message}`);

  it('refuses to create a compute environment without subnets or security groups', () => {
    expect(refused({ SubnetIds: '', SecurityGroupIds: '', ExistingComputeEnvironments: '' })).toEqual([
      'Rules.NetworkOfTheCreatedComputeEnvironment: refused: subnetIds is required when the stack creates the compute environment (no existingComputeEnvironments)',
      'Rules.NetworkOfTheCreatedComputeEnvironment: refused: securityGroupIds is required when the stack creates the compute environment (no existingComputeEnvironments)',
    ]);
  });

  it('needs no network when existing compute environments are passed in', () => {
    expect(refused({ SubnetIds: '', SecurityGroupIds: '', ExistingComputeEnvironments: 'ce' })).toEqual([]);
  });

  it('refuses function subnets without function security groups', () => {
    expect(refused({ FunctionSubnetIds: 'subnet-0a1b2c3d', FunctionSecurityGroupIds: '' })).toEqual([
      'Rules.FunctionNetwork: refused: functionSecurityGroupIds is required with functionSubnetIds',
    ]);
    expect(
      refused({ FunctionSubnetIds: 'subnet-0a1b2c3d', FunctionSecurityGroupIds: 'sg-0a1b2c3d' }),
    ).toEqual([]);
  });
});
