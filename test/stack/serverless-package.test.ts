import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes as apiRoutes } from '../../lib/api/routes';
import { packageStack } from '../../scripts/stack/validate';

// The real `serverless package` output (osls, offline: no AWS account, no network), inspected.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Condition?: string;
  Properties: { [key: string]: Json };
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

const root = join(__dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'brg-package-'));
let resources: Record<string, Resource>;
let templateText: string;

beforeAll(async () => {
  // One packaging of the service at a time (osls shares .serverless/): see scripts/stack/validate.
  await packageStack({}, out, root);
  templateText = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
  resources = (JSON.parse(templateText) as { Resources: Record<string, Resource> }).Resources;
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const actions = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Every statement of a role's inline policies, with Fn::If branches that grant something unwrapped. */
function statementsOf(roleName: string): Statement[] {
  const role = resources[roleName];
  if (!role) throw new Error(`no role ${roleName}`);
  const policies = (role.Properties.Policies as Json[]).map((policy) => {
    const conditional = (policy as { 'Fn::If'?: [string, Json, Json] })['Fn::If'];
    return (conditional ? conditional[1] : policy) as { PolicyDocument: { Statement: Json[] } };
  });
  return policies.flatMap((policy) =>
    policy.PolicyDocument.Statement.map((statement) => {
      const conditional = (statement as { 'Fn::If'?: [string, Statement, Json] })['Fn::If'];
      return conditional ? conditional[1] : (statement as unknown as Statement);
    }),
  );
}

function roleOf(functionKey: string): string {
  const fn = resources[`${functionKey[0]?.toUpperCase()}${functionKey.slice(1)}LambdaFunction`];
  if (!fn) throw new Error(`no function ${functionKey}`);
  const role = fn.Properties.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const ROLLOUT = [
  'ec2:CreateLaunchTemplateVersion',
  'ec2:ModifyLaunchTemplate',
  'ec2:DeleteLaunchTemplateVersions',
  'ec2:DescribeLaunchTemplateVersions',
  'batch:UpdateComputeEnvironment',
  'batch:DescribeComputeEnvironments',
];
// The registry credential secrets (SPEC §11), on their prefix, plus ListSecrets; with a KMS key, a data key.
const CREDENTIAL_SECRETS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:TagResource',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
  'secretsmanager:ListSecrets',
  'kms:GenerateDataKey',
];
const EXPECTED_ACTIONS: Record<string, string[]> = {
  rotateSecret: [
    ...LOGS,
    ...ROLLOUT,
    ...CREDENTIAL_SECRETS,
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:GetSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
    'kms:Decrypt',
    'ssm:GetParameters',
  ],
  onSecretChanged: [
    ...LOGS,
    ...ROLLOUT,
    ...CREDENTIAL_SECRETS,
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'kms:Decrypt',
    'ssm:GetParameters',
    'sqs:SendMessage',
  ],
  submitJob: [
    ...LOGS,
    'secretsmanager:GetSecretValue',
    'secretsmanager:DescribeSecret',
    'kms:Decrypt',
    'batch:RegisterJobDefinition',
    'batch:TagResource',
    'batch:SubmitJob',
    'batch:DescribeJobDefinitions',
    'batch:DescribeJobQueues',
    'batch:DescribeComputeEnvironments',
    'iam:PassRole',
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
  getJob: [...LOGS, 'batch:DescribeJobs', 'batch:DescribeJobDefinitions'],
  cancelJob: [...LOGS, 'batch:DescribeJobs', 'batch:TerminateJob'],
  listRegistries: [...LOGS, 'secretsmanager:GetSecretValue', 'kms:Decrypt'],
  getJobLogs: [...LOGS, 'batch:DescribeJobs', 'logs:GetLogEvents'],
  fleetReport: [
    ...LOGS,
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecrets',
    'batch:DescribeComputeEnvironments',
    'ecs:ListAttributes',
    'ecs:ListContainerInstances',
    'events:PutEvents',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
};
// Actions without resource-level permissions in IAM: only these may have Resource "*".
const DESCRIBE_ONLY = new Set([
  'ec2:DescribeLaunchTemplateVersions',
  'batch:DescribeComputeEnvironments',
  'batch:DescribeJobDefinitions',
  'batch:DescribeJobs',
  'secretsmanager:ListSecrets',
  'batch:DescribeJobQueues',
]);

// What each function's environment holds: exactly the SPEC §5 variables its handler reads (lib/config.ts,
// by the config groups it asks for and the fields it uses), plus two runtime settings. No value is a
// credential. REGISTRY_SECRET_ARN is every function's (loadConfig requires it); the staging secret is
// only rotateSecret's (createSecret copies the staged value).
const EVERY_FUNCTION = ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'REGISTRY_SECRET_ARN'];
const ROLLOUT_ENVIRONMENT = [
  'STAGE',
  'LAUNCH_TEMPLATE_ID',
  'COMPUTE_ENVIRONMENTS',
  'VERIFY_CREDENTIALS',
  'UPDATE_TERMINATE_JOBS',
  'UPDATE_JOB_TIMEOUT_MINUTES',
  'KEEP_LAUNCH_TEMPLATE_VERSIONS',
  'TASK_CREDENTIALS',
  'INSTANCE_CREDENTIALS',
  'REGISTRY_SECRET_PREFIX',
];
const JOB_READER_ENVIRONMENT = ['JOB_QUEUE', 'ADMIN_PRINCIPALS', 'BRG_LOCAL_CALLER'];
const EXPECTED_ENVIRONMENT: Record<string, string[]> = {
  rotateSecret: [...ROLLOUT_ENVIRONMENT, 'REGISTRY_STAGING_SECRET_ARN'],
  onSecretChanged: ROLLOUT_ENVIRONMENT,
  submitJob: [
    'STAGE',
    'JOB_QUEUE',
    'JOB_ROLE_ARN',
    'ALLOWED_REGISTRIES',
    'VERIFY_IMAGES',
    'TASK_CREDENTIALS',
    'REGISTRY_SECRET_PREFIX',
    'EXECUTION_ROLE_ARN',
    'ASSIGN_PUBLIC_IP',
    'IDEMPOTENCY_TABLE',
    'BRG_LOCAL_CALLER',
  ],
  getJob: JOB_READER_ENVIRONMENT,
  cancelJob: JOB_READER_ENVIRONMENT,
  listRegistries: ['ALLOWED_REGISTRIES'],
  getJobLogs: JOB_READER_ENVIRONMENT,
  fleetReport: [
    'STAGE',
    'COMPUTE_ENVIRONMENTS',
    'EVENT_BUS_NAME',
    'CONVERGENCE_TABLE',
    'INSTANCE_CREDENTIALS',
    'TASK_CREDENTIALS',
    'REGISTRY_SECRET_PREFIX',
  ],
};

/** The names of a function's environment variables, sorted. */
function environmentOf(functionKey: string): string[] {
  const fn = resources[`${functionKey[0]?.toUpperCase()}${functionKey.slice(1)}LambdaFunction`];
  if (!fn) throw new Error(`no function ${functionKey}`);
  return Object.keys((fn.Properties.Environment as { Variables: Record<string, Json> }).Variables).sort();
}

// Parameter secretKmsKeyArn empty by default: the statement sits behind the HasSecretKmsKey condition.
const DECRYPT_THROUGH_SECRETS_MANAGER = {
  Sid: 'DecryptTheSecret',
  Effect: 'Allow',
  Action: 'kms:Decrypt',
  Resource: '',
  Condition: {
    StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } },
  },
};

describe('serverless package', () => {
  it('runs every function on nodejs24.x, bundled one zip per function (sizes: npm run bench)', () => {
    const functions = ofType('AWS::Lambda::Function');
    const zips = readdirSync(out).filter((file) => file.endsWith('.zip'));

    expect(functions.map(([, fn]) => fn.Properties.Runtime)).toEqual(
      Array(Object.keys(EXPECTED_ACTIONS).length).fill('nodejs24.x'),
    );
    expect(zips.sort()).toEqual(
      Object.keys(EXPECTED_ACTIONS)
        .map((key) => `${key}.zip`)
        .sort(),
    );
  });

  it('puts AWS_IAM authorisation on every HTTP route, and has exactly the routes of the API table (openapi.json)', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);

    expect(routes.map((route) => route.RouteKey).sort()).toEqual(
      apiRoutes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort(),
    );
    expect(apiRoutes.map((route) => `${route.method.toUpperCase()} ${route.path}`)).toEqual(
      expect.arrayContaining([
        'POST /jobs',
        'GET /jobs/{jobId}',
        'DELETE /jobs/{jobId}',
        'GET /jobs/{jobId}/logs',
        'GET /registries',
      ]),
    );
    for (const route of routes) expect(route.AuthorizationType).toBe('AWS_IAM');
  });

  it('grants no wildcard action in any IAM policy', () => {
    const statements = ofType('AWS::IAM::Role').flatMap(([name]) =>
      resources[name]?.Properties.Policies ? statementsOf(name) : [],
    );

    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actions(statement)) expect(action).not.toMatch(/\*/);
    }
  });

  it.each(Object.entries(EXPECTED_ACTIONS))(
    'gives %s its own role with only the actions it calls',
    (key, expected) => {
      const statements = statementsOf(roleOf(key));

      // One statement per purpose and resource, so a review sees every grant in one place.
      expect(statements.flatMap(actions).sort()).toEqual([...expected].sort());
      for (const statement of statements) {
        if (statement.Resource === '*')
          for (const action of actions(statement)) expect(DESCRIBE_ONLY).toContain(action);
      }
    },
  );

  it("lets submitJob find the stage's registry credential secrets by name (DescribeSecret), never read their value", () => {
    const statements = statementsOf(roleOf('submitJob'));
    const describe = statements.filter((statement) =>
      actions(statement).includes('secretsmanager:DescribeSecret'),
    );

    expect(describe).toHaveLength(1);
    expect(describe[0]?.Resource).toEqual({
      'Fn::Sub':
        'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:batch-registry-gateway/test/registry/*',
    });
    const reads = statements.filter((statement) =>
      actions(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(reads)).not.toContain('/registry/');
  });

  it.each([
    ['RegistrySecretRotation', 'HasRotationSchedule'],
    ['RegistrySecret', 'CreateSecret'],
    ['LaunchTemplate', 'CreateLaunchTemplate'],
    ['ComputeEnvironment', 'CreateComputeEnvironment'],
    ['JobQueue', 'CreateJobQueue'],
  ])(
    'creates %s only under condition %s (an existing one passed in, or rotation turned off)',
    (resource, condition) => {
      expect(resources[resource]?.Condition).toBe(condition);
    },
  );

  it('puts the three functions that call registries in the given subnets, with the VPC access policy, only when asked', () => {
    const vpcFunctions = ['rotateSecret', 'onSecretChanged', 'submitJob'];

    for (const key of Object.keys(EXPECTED_ACTIONS)) {
      const fn = resources[`${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunction`];
      const role = resources[roleOf(key)];
      if (vpcFunctions.includes(key)) {
        expect(fn?.Properties.VpcConfig).toEqual({
          'Fn::If': [
            'HasFunctionVpc',
            {
              SubnetIds: { Ref: 'FunctionSubnetIds' },
              SecurityGroupIds: { Ref: 'FunctionSecurityGroupIds' },
            },
            { Ref: 'AWS::NoValue' },
          ],
        });
        expect(role?.Properties.ManagedPolicyArns).toEqual({
          'Fn::If': [
            'HasFunctionVpc',
            [
              {
                'Fn::Sub':
                  'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
              },
            ],
            { Ref: 'AWS::NoValue' },
          ],
        });
      } else {
        expect(fn?.Properties.VpcConfig).toBeUndefined();
        expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('uses a different role for every function', () => {
    const roles = Object.keys(EXPECTED_ACTIONS).map(roleOf);

    expect(new Set(roles).size).toBe(roles.length);
  });

  it('lets getJobLogs read log events of AWS Batch job streams only', () => {
    const statement = statementsOf(roleOf('getJobLogs')).find((candidate) =>
      actions(candidate).includes('logs:GetLogEvents'),
    );

    expect(statement?.Action).toBe('logs:GetLogEvents');
    expect(statement?.Resource).toEqual({
      'Fn::Sub':
        'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/batch/job:log-stream:*',
    });
  });

  it('lets instances read only the registry secret, only its AWSCURRENT and AWSPENDING versions, beyond the ECS instance policy', () => {
    const role = resources.InstanceRole;

    expect(role?.Properties.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' },
    ]);
    expect(statementsOf('InstanceRole')).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { 'Fn::If': ['CreateSecret', { Ref: 'RegistrySecret' }, { Ref: 'ExistingSecretArn' }] },
        Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT', 'AWSPENDING'] } },
      },
      DECRYPT_THROUGH_SECRETS_MANAGER,
    ]);
  });

  it('grants kms:Decrypt on a customer managed key only when one is given, and only through Secrets Manager', () => {
    const readers = [
      'InstanceRole',
      ...['rotateSecret', 'onSecretChanged', 'submitJob', 'listRegistries'].map(roleOf),
    ];

    for (const role of readers) {
      const decrypt = statementsOf(role).filter((statement) => actions(statement).includes('kms:Decrypt'));
      expect(decrypt).toEqual([DECRYPT_THROUGH_SECRETS_MANAGER]);
    }
    expect(templateText.match(/"HasSecretKmsKey"/g)?.length).toBeGreaterThanOrEqual(readers.length);
  });

  it('creates a managed EC2 compute environment that can take infrastructure updates', () => {
    const environment = resources.ComputeEnvironment;
    // The EC2 branch: computeType EC2 (the default) or SPOT (serverless-package-variants: FARGATE).
    const branches = environment?.Properties.ComputeResources as {
      'Fn::If': [string, Record<string, Json>, Json];
    };
    const computeResources = branches['Fn::If'][1];

    expect(environment?.Properties.Type).toBe('MANAGED');
    expect(environment?.Properties.ServiceRole).toBeUndefined();
    expect(environment?.Properties.ReplaceComputeEnvironment).toBe(false);
    expect(branches['Fn::If'][0]).toBe('IsEc2Compute');
    expect(computeResources.AllocationStrategy).toEqual({
      'Fn::If': ['IsSpotCompute', 'SPOT_PRICE_CAPACITY_OPTIMIZED', 'BEST_FIT_PROGRESSIVE'],
    });
    expect(computeResources.Type).toBe('EC2');
    expect(computeResources.LaunchTemplate).toEqual({
      LaunchTemplateId: {
        'Fn::If': ['CreateLaunchTemplate', { Ref: 'LaunchTemplate' }, { Ref: 'ExistingLaunchTemplateId' }],
      },
      Version: '$Default',
    });
  });

  it('requires IMDSv2 with hop limit 1 and renders the initial user data from the secret ARN', () => {
    const data = resources.LaunchTemplate?.Properties.LaunchTemplateData as Record<string, Json>;
    const userData = data.UserData as { 'Fn::Base64': { 'Fn::Sub': [string, { SecretArn: Json }] } };
    const [text, variables] = userData['Fn::Base64']['Fn::Sub'];

    expect(data.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
      HttpEndpoint: 'enabled',
    });
    expect(text).toMatch(/^Content-Type: multipart\/mixed/m);
    expect(text).toContain('${SecretArn}');
    expect(text).not.toContain('placeholder');
    // Fn::Sub substitutes only the ARN; every shell "${" is escaped.
    expect(text.replaceAll('${!', '').match(/\$\{[^}]*\}/g)).toEqual(
      Array(text.split('${SecretArn}').length - 1).fill('${SecretArn}'),
    );
    expect(variables.SecretArn).toEqual({
      'Fn::If': ['CreateSecret', { Ref: 'RegistrySecret' }, { Ref: 'ExistingSecretArn' }],
    });
  });

  it('routes secret change events to onSecretChanged with a retry policy and a dead-letter queue', () => {
    const [[, rule] = []] = ofType('AWS::Events::Rule').filter(
      ([, candidate]) => candidate.Properties.EventPattern,
    );
    const [target] = (rule?.Properties.Targets ?? []) as Array<Record<string, Json>>;
    const [[, invokeConfig] = []] = ofType('AWS::Lambda::EventInvokeConfig');

    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      account: [{ Ref: 'AWS::AccountId' }],
      region: [{ Ref: 'AWS::Region' }],
      $or: [
        {
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: { eventName: ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage'] },
        },
        { 'detail-type': ['AWS Service Event via CloudTrail'], detail: { eventName: ['RotationSucceeded'] } },
        { 'detail-type': ['Secret Label Updated'] },
      ],
    });
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': ['OnSecretChangedLambdaFunction', 'Arn'] });
    expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 });
    expect(target?.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': ['SecretEventsDeadLetterQueue', 'Arn'] },
    });
    expect(invokeConfig?.Properties).toMatchObject({
      FunctionName: { Ref: 'OnSecretChangedLambdaFunction' },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['SecretEventsDeadLetterQueue', 'Arn'] } },
      },
    });
  });

  it('also runs onSecretChanged on a schedule, to reconcile whatever events were missed', () => {
    const schedules = ofType('AWS::Events::Rule').filter(
      ([, rule]) =>
        rule.Properties.ScheduleExpression &&
        JSON.stringify(rule.Properties.Targets).includes('OnSecretChangedLambdaFunction'),
    );
    const [[, schedule] = []] = schedules;
    const [target] = (schedule?.Properties.Targets ?? []) as Array<Record<string, Json>>;

    expect(schedules).toHaveLength(1);
    expect(schedule?.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': ['OnSecretChangedLambdaFunction', 'Arn'] });
  });

  it('schedules rotation with rotateSecret, lets only Secrets Manager invoke it, and never rotates at deploy', () => {
    const rotation = resources.RegistrySecretRotation?.Properties;
    const permission = resources.RotateSecretInvokePermission?.Properties;

    expect(rotation?.RotationLambdaARN).toEqual({ 'Fn::GetAtt': ['RotateSecretLambdaFunction', 'Arn'] });
    expect(rotation?.RotateImmediatelyOnUpdate).toBe(false);
    expect(rotation?.RotationRules).toEqual({ ScheduleExpression: { Ref: 'RotationSchedule' } });
    expect(permission).toMatchObject({
      Principal: 'secretsmanager.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': ['RotateSecretLambdaFunction', 'Arn'] },
    });
  });

  it('creates the secret empty and holds no credential anywhere in the template', () => {
    const secret = resources.RegistrySecret?.Properties;

    expect(secret?.SecretString).toBeUndefined();
    expect(secret?.GenerateSecretString).toBeUndefined();
    expect(templateText).not.toMatch(/"(SecretString|Password|password|ECS_ENGINE_AUTH_DATA)"\s*:/);
    expect(templateText).not.toMatch(/dckr_pat_|ghp_|glpat-|AKIA[0-9A-Z]{16}/);
    // Every function's variables are listed below (one test each), so none carries anything else.
    expect(ofType('AWS::Lambda::Function').map(([name]) => name.replace(/LambdaFunction$/, ''))).toEqual(
      Object.keys(EXPECTED_ENVIRONMENT).map((key) => `${key[0]?.toUpperCase()}${key.slice(1)}`),
    );
  });

  it.each(Object.entries(EXPECTED_ENVIRONMENT))(
    'gives %s only the environment its handler reads',
    (key, expected) => {
      expect(environmentOf(key)).toEqual([...EVERY_FUNCTION, ...expected].sort());
    },
  );

  it('keeps Idempotency-Key records in an on-demand table with TTL, which only submitJob reads and writes', () => {
    const table = resources.IdempotencyTable;
    const grants = Object.keys(EXPECTED_ACTIONS).flatMap((key) =>
      statementsOf(roleOf(key))
        .filter((statement) => actions(statement).some((action) => action.startsWith('dynamodb:')))
        .map((statement) => ({ key, resource: statement.Resource }))
        // fleetReport writes its own table (ConvergenceTable), never this one.
        .filter((grant) => JSON.stringify(grant.resource).includes('IdempotencyTable')),
    );

    expect(table?.Type).toBe('AWS::DynamoDB::Table');
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    expect(grants).toEqual([{ key: 'submitJob', resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] } }]);
    expect(resources.SubmitJobLambdaFunction?.Properties).toMatchObject({
      Environment: { Variables: { IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' } } },
    });
  });

  it('gives getJob, cancelJob and getJobLogs ADMIN_PRINCIPALS, and never sets a fixed local caller in a deployed stack', () => {
    const variables = (key: string) => {
      const environment = resources[`${key}LambdaFunction`]?.Properties.Environment;
      return (environment as { Variables: Record<string, Json> } | undefined)?.Variables ?? {};
    };

    for (const key of ['GetJob', 'CancelJob', 'GetJobLogs']) expect(variables(key).ADMIN_PRINCIPALS).toBe('');
    for (const key of ['SubmitJob', 'GetJob', 'CancelJob', 'GetJobLogs'])
      expect(variables(key).BRG_LOCAL_CALLER).toBe('');
  });

  it('runs fleetReport on the fleetReportSchedule with the convergence table and event bus it writes to', () => {
    const fn = resources.FleetReportLambdaFunction?.Properties;
    const rules = ofType('AWS::Events::Rule').filter(([, rule]) =>
      JSON.stringify(rule.Properties.Targets).includes('FleetReportLambdaFunction'),
    );
    const table = resources.ConvergenceTable?.Properties;
    const statements = statementsOf('FleetReportRole');

    expect(rules.map(([, rule]) => rule.Properties.ScheduleExpression)).toEqual(['rate(15 minutes)']);
    expect((fn?.Environment as { Variables: Record<string, Json> } | undefined)?.Variables).toMatchObject({
      EVENT_BUS_NAME: 'default',
      CONVERGENCE_TABLE: { Ref: 'ConvergenceTable' },
      STAGE: 'test',
      INSTANCE_CREDENTIALS: 'true',
      TASK_CREDENTIALS: 'true',
      REGISTRY_SECRET_PREFIX: 'batch-registry-gateway/test/registry/',
    });
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    });
    expect(statements.find((statement) => statement.Sid === 'RecordAnnouncements')?.Resource).toEqual({
      'Fn::GetAtt': ['ConvergenceTable', 'Arn'],
    });
    expect(statements.find((statement) => statement.Sid === 'AnnounceConvergence')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
    });
    expect(
      statements.find((statement) => statement.Sid === 'CountInstancesOfBatchClusters')?.Resource,
    ).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/*',
    });
  });

  it('grants fleetReport Batch and ECS only with instance credentials, and ListSecrets only with task credentials', () => {
    const conditions = ((resources.FleetReportRole?.Properties.Policies as Json[]) ?? [])
      .flatMap((policy) => (policy as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement)
      .flatMap((statement) => {
        const conditional = (statement as { 'Fn::If'?: [string, Statement, Json] })['Fn::If'];
        return conditional ? [[conditional[1].Sid, conditional[0]]] : [];
      });

    expect(Object.fromEntries(conditions)).toEqual({
      DescribeNoResourceLevelPermissions: 'HasInstanceCredentials',
      CountInstancesOfBatchClusters: 'HasInstanceCredentials',
      FindRegistryCredentialSecretsNoResourceLevelPermissions: 'HasTaskCredentials',
    });
  });

  const ALARM_ACTIONS = { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] };
  it.each([
    [
      'SecretEventsDeadLetterQueueAlarm',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['SecretEventsDeadLetterQueue', 'QueueName'] } }],
      { Statistic: 'Maximum', Period: 300, EvaluationPeriods: 1, Threshold: 0 },
    ],
    [
      'RotateSecretErrorsAlarm',
      'AWS/Lambda',
      'Errors',
      [{ Name: 'FunctionName', Value: { Ref: 'RotateSecretLambdaFunction' } }],
      { Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0 },
    ],
    [
      'OnSecretChangedErrorsAlarm',
      'AWS/Lambda',
      'Errors',
      [{ Name: 'FunctionName', Value: { Ref: 'OnSecretChangedLambdaFunction' } }],
      { Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 0 },
    ],
    [
      'InstancesStaleAlarm',
      'BatchRegistryGateway',
      'InstancesStale',
      [
        { Name: 'service', Value: 'batch-registry-gateway' },
        { Name: 'stage', Value: 'test' },
      ],
      { Statistic: 'Maximum', Period: 3600, EvaluationPeriods: { Ref: 'StaleAlarmHours' }, Threshold: 0 },
    ],
    [
      'HttpApi5xxAlarm',
      'AWS/ApiGateway',
      '5xx',
      [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
      { Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 5 },
    ],
  ])(
    'alarms with %s on %s %s, notifying alarmTopicArn when given',
    (name, namespace, metric, dimensions, rule) => {
      const alarm = resources[name];

      expect(alarm?.Type).toBe('AWS::CloudWatch::Alarm');
      expect(alarm?.Properties).toMatchObject({
        Namespace: namespace,
        MetricName: metric,
        Dimensions: dimensions,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: ALARM_ACTIONS,
        OKActions: ALARM_ACTIONS,
        ...rule,
      });
    },
  );

  it('takes staleAlarmHours from 1 to 168 (default 24) and an optional alarm topic', () => {
    const parameters = (JSON.parse(templateText) as { Parameters: Record<string, Record<string, Json>> })
      .Parameters;

    expect(parameters.StaleAlarmHours).toMatchObject({
      Type: 'Number',
      Default: '24',
      MinValue: 1,
      MaxValue: 168,
    });
    expect(parameters.AlarmTopicArn).toMatchObject({ Type: 'String', Default: '' });
    expect(resources.HttpApi?.Type).toBe('AWS::ApiGatewayV2::Api');
  });

  // Lambda keeps a minimum of unreserved concurrency: 100, or the whole limit where the account's
  // limit is 100 or less (new accounts get 10 or 50), and refuses a reservation below it with
  // "...decreases account's UnreservedConcurrentExecution below its minimum value of [N]"
  // (Lambda developer guide, reserved concurrency; aws-samples/one-observability-demo issue 278).
  it.each([10, 50, 1000])(
    'deploys in an account whose Lambda concurrency limit is %i (Lambda refuses reservations below its unreserved minimum)',
    (accountLimit) => {
      const minimumUnreserved = Math.min(100, accountLimit);
      const reserved = ofType('AWS::Lambda::Function').reduce(
        (sum, [, fn]) => sum + Number(fn.Properties.ReservedConcurrentExecutions ?? 0),
        0,
      );

      expect(accountLimit - reserved).toBeGreaterThanOrEqual(minimumUnreserved);
      expect(reserved).toBe(0);
    },
  );

  it('creates the staging secret empty, gives its ARN to rotateSecret only to read, and outputs it', () => {
    const staging = resources.RegistryStagingSecret;
    const rotateSecret = resources.RotateSecretLambdaFunction?.Properties.Environment as {
      Variables: Record<string, Json>;
    };
    const readers = ofType('AWS::IAM::Role').filter(([name]) =>
      resources[name]?.Properties.Policies
        ? statementsOf(name).some(
            (statement) =>
              JSON.stringify(statement.Resource) === JSON.stringify({ Ref: 'RegistryStagingSecret' }),
          )
        : false,
    );

    expect(staging?.Condition).toBeUndefined();
    expect(staging?.Properties.SecretString).toBeUndefined();
    expect(rotateSecret.Variables.REGISTRY_STAGING_SECRET_ARN).toEqual({ Ref: 'RegistryStagingSecret' });
    expect(
      Object.keys(EXPECTED_ACTIONS).filter((key) =>
        environmentOf(key).includes('REGISTRY_STAGING_SECRET_ARN'),
      ),
    ).toEqual(['rotateSecret']);
    expect(readers.map(([name]) => name)).toEqual([roleOf('rotateSecret')]);
    expect(statementsOf(roleOf('rotateSecret'))).toContainEqual(
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: 'RegistryStagingSecret' },
      }),
    );
  });
});
