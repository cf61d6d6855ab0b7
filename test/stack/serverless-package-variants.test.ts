import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { effectiveTemplate } from './conditions';

// `serverless package` with other stack parameters (SPEC §9, §11): a Fargate stack and the
// hardened EC2 stack (instanceCredentials=false, with a customer managed KMS key), inspected as
// CloudFormation would create them (conditions applied: ./conditions).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Effective = ReturnType<typeof effectiveTemplate>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

const root = join(__dirname, '..', '..');
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PREFIX_ARN = {
  'Fn::Sub':
    'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:batch-registry-gateway/test/registry/*',
};
const VIA_SECRETS_MANAGER = {
  StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } },
};
const dirs: string[] = [];
let fargate: Effective;
let hardened: Effective;

/**
 * Packages a copy of the service: osls keeps its state in the service's own `.serverless`, so two
 * packages of one directory at once (this file beside serverless-package.test.ts) would collide.
 */
function packageWith(name: string, params: string[]): Promise<Effective> {
  const service = mkdtempSync(join(tmpdir(), `brg-service-${name}-`));
  dirs.push(service);
  for (const entry of [
    'serverless.yml',
    'package.json',
    'tsconfig.json',
    'handlers',
    'lib',
    'userdata',
    'scripts',
    'types',
  ]) {
    cpSync(join(root, entry), join(service, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(service, 'node_modules'));
  const out = join(service, 'out');
  const args = [
    'serverless',
    'package',
    '--stage',
    'test',
    '--package',
    out,
    ...params.map((p) => `--param=${p}`),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, {
      cwd: service,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: '',
      },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`serverless package (${name}) failed:\n${output}`));
      const text = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
      resolve(effectiveTemplate(JSON.parse(text)));
    });
  });
}

beforeAll(async () => {
  [fargate, hardened] = await Promise.all([
    packageWith('fargate', ['computeType=FARGATE']),
    packageWith('hardened', ['instanceCredentials=false', `secretKmsKeyArn=${KEY}`]),
  ]);
}, 300_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function statementsOf(stack: Effective, roleName: string): Statement[] {
  const role = stack.resources[roleName];
  if (!role) throw new Error(`no role ${roleName}`);
  const policies = (role.Properties.Policies ?? []) as unknown as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}
const actionsOf = (stack: Effective, roleName: string) =>
  statementsOf(stack, roleName)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .sort();

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const CREDENTIAL_SECRETS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:TagResource',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
];
const MAIN_SECRET_ROTATION = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

describe('serverless package with computeType=FARGATE', () => {
  it('creates a Fargate compute environment and no launch template, instance role or instance profile', () => {
    const computeResources = fargate.resources.ComputeEnvironment?.Properties.ComputeResources;

    expect(fargate.resources.LaunchTemplate).toBeUndefined();
    expect(fargate.resources.InstanceRole).toBeUndefined();
    expect(fargate.resources.InstanceProfile).toBeUndefined();
    expect(computeResources).toEqual({
      Type: 'FARGATE',
      MaxvCpus: { Ref: 'MaxvCpus' },
      Subnets: { Ref: 'SubnetIds' },
      SecurityGroupIds: { Ref: 'SecurityGroupIds' },
    });
  });

  it('gives the rollout functions no launch template or compute environment write, and the credential secrets on the prefix', () => {
    for (const role of ['RotateSecretRole', 'OnSecretChangedRole']) {
      const actions = actionsOf(fargate, role);
      expect(actions.filter((action) => action.startsWith('ec2:'))).toEqual([]);
      expect(actions).not.toContain('batch:UpdateComputeEnvironment');
      expect(actions).toContain('batch:DescribeComputeEnvironments');
    }
    expect(actionsOf(fargate, 'RotateSecretRole')).toEqual(
      [
        ...LOGS,
        ...MAIN_SECRET_ROTATION,
        'batch:DescribeComputeEnvironments',
        ...CREDENTIAL_SECRETS,
        'secretsmanager:ListSecrets',
        // SPEC §6: read the staging secret, copy its value into the rotation's version.
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ].sort(),
    );
    const keep = statementsOf(fargate, 'RotateSecretRole').find(
      (s) => s.Sid === 'KeepRegistryCredentialSecrets',
    );
    expect(keep?.Resource).toEqual(PREFIX_ARN);
    const list = statementsOf(fargate, 'RotateSecretRole').find(
      (s) => s.Action === 'secretsmanager:ListSecrets',
    );
    expect(list?.Resource).toBe('*');
  });

  it('creates the execution role: the ECS task execution policy and GetSecretValue on the prefix only', () => {
    const role = fargate.resources.ExecutionRole?.Properties;

    expect(role?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    expect(role?.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' },
    ]);
    expect(statementsOf(fargate, 'ExecutionRole')).toEqual([
      {
        Sid: 'ReadRegistryCredentialSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: PREFIX_ARN,
      },
    ]);
  });

  it('tells the rollout and the gateway the prefix, the execution role and the public IP setting', () => {
    const env = (key: string) =>
      (fargate.resources[key]?.Properties.Environment as { Variables: Record<string, Json> } | undefined)
        ?.Variables;

    for (const key of ['RotateSecretLambdaFunction', 'OnSecretChangedLambdaFunction']) {
      expect(env(key)).toMatchObject({
        TASK_CREDENTIALS: 'true',
        INSTANCE_CREDENTIALS: 'true',
        REGISTRY_SECRET_PREFIX: 'batch-registry-gateway/test/registry/',
        LAUNCH_TEMPLATE_ID: { Ref: 'ExistingLaunchTemplateId' },
      });
    }
    expect(env('SubmitJobLambdaFunction')).toMatchObject({
      TASK_CREDENTIALS: 'true',
      REGISTRY_SECRET_PREFIX: 'batch-registry-gateway/test/registry/',
      EXECUTION_ROLE_ARN: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] },
      ASSIGN_PUBLIC_IP: 'DISABLED',
    });
    expect(fargate.outputs.ExecutionRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['ExecutionRole', 'Arn'] });
  });
});

describe('serverless package with instanceCredentials=false (hardened) and a KMS key', () => {
  it('gives the instance role no Secrets Manager or KMS action, only the ECS instance policy', () => {
    const role = hardened.resources.InstanceRole?.Properties;

    expect(role?.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' },
    ]);
    expect(actionsOf(hardened, 'InstanceRole')).toEqual([]);
  });

  it('keeps the launch template (IMDSv2) but with no user data: nothing is read at boot', () => {
    const data = hardened.resources.LaunchTemplate?.Properties.LaunchTemplateData as Record<string, Json>;

    expect(data.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
      HttpEndpoint: 'enabled',
    });
    expect(data).not.toHaveProperty('UserData');
  });

  it('lets the rollout only sync credential secrets: no launch template or compute environment write', () => {
    expect(actionsOf(hardened, 'OnSecretChangedRole')).toEqual(
      [
        ...LOGS,
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
        'batch:DescribeComputeEnvironments',
        ...CREDENTIAL_SECRETS,
        'secretsmanager:ListSecrets',
        'kms:GenerateDataKey',
        'sqs:SendMessage',
      ].sort(),
    );
    expect(hardened.resources.RotateSecretLambdaFunction?.Properties.Environment).toMatchObject({
      Variables: { INSTANCE_CREDENTIALS: 'false' },
    });
  });

  it('lets fleetReport read the credential secrets, never Batch or ECS: it counts no instance', () => {
    expect(actionsOf(hardened, 'FleetReportRole')).toEqual(
      [
        ...LOGS,
        'secretsmanager:DescribeSecret',
        'secretsmanager:ListSecrets',
        'events:PutEvents',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ].sort(),
    );
    expect(hardened.resources.FleetReportLambdaFunction?.Properties.Environment).toMatchObject({
      Variables: { INSTANCE_CREDENTIALS: 'false', TASK_CREDENTIALS: 'true' },
    });
    expect(hardened.outputs.InstanceCredentials?.Value).toBe('false');
  });

  it('lets the rollout create credential secrets with the key, and the execution role decrypt them, through Secrets Manager only', () => {
    const encrypt = statementsOf(hardened, 'RotateSecretRole').find(
      (s) => s.Sid === 'EncryptRegistryCredentialSecrets',
    );
    const decrypt = statementsOf(hardened, 'ExecutionRole').find((s) => s.Action === 'kms:Decrypt');

    expect(encrypt).toEqual({
      Sid: 'EncryptRegistryCredentialSecrets',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: KEY,
      Condition: VIA_SECRETS_MANAGER,
    });
    expect(decrypt).toEqual({
      Sid: 'DecryptTheSecret',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: VIA_SECRETS_MANAGER,
    });
  });
});
