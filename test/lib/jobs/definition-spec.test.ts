import type { JobDefinition } from '@aws-sdk/client-batch';
import fc from 'fast-check';
import {
  type DefinitionIdentity,
  definitionImage,
  isExactly,
  type ManagedDefinitionInput,
  managedJobDefinition,
} from '../../../lib/jobs/definition-spec';
import { parseImageReference } from '../../../lib/registry/reference';

const ACCOUNT = '123456789012';
const CREDENTIAL_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:brg/registry-credentials/ghcr.io-Ab12Cd`;
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/brg-prod-execution`;
const JOB_ROLE = `arn:aws:iam::${ACCOUNT}:role/app-job`;
const DIGEST = `sha256:${'c'.repeat(64)}`;

const ec2: DefinitionIdentity = {
  stage: 'prod',
  image: 'ghcr.io/org/app:1.0',
  platform: 'EC2',
  credentialSecretArn: CREDENTIAL_ARN,
  executionRoleArn: EXECUTION_ROLE,
  jobRoleArn: undefined,
  assignPublicIp: 'DISABLED',
};
const fargate: DefinitionIdentity = { ...ec2, platform: 'FARGATE' };

/** What DescribeJobDefinitions returns for a registered input: Batch fills in empty lists and defaults. */
function asDescribed(input: ManagedDefinitionInput, revision = 1): JobDefinition {
  const fargateInput = input.platformCapabilities?.includes('FARGATE');
  return {
    jobDefinitionName: input.jobDefinitionName,
    jobDefinitionArn: `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/${input.jobDefinitionName}:${revision}`,
    revision,
    status: 'ACTIVE',
    type: 'container',
    parameters: {},
    containerProperties: {
      command: [],
      volumes: [],
      environment: [],
      mountPoints: [],
      ulimits: [],
      secrets: [],
      ...structuredClone(input.containerProperties),
      resourceRequirements: [...(input.containerProperties?.resourceRequirements ?? [])].reverse(),
      ...(fargateInput
        ? { runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' } }
        : {}),
    },
    tags: { ...input.tags },
    propagateTags: false,
    platformCapabilities: input.platformCapabilities,
    containerOrchestrationType: 'ECS',
  };
}

describe('definitionImage', () => {
  it('drops the tag when a digest is given, so a new tag is not a new definition', () => {
    const a = definitionImage(parseImageReference(`ghcr.io/org/app:v1@${DIGEST}`));
    const b = definitionImage(parseImageReference(`ghcr.io/org/app:v2@${DIGEST}`));

    expect(a).toBe(`ghcr.io/org/app@${DIGEST}`);
    expect(b).toBe(a);
    expect(definitionImage(parseImageReference('alpine'))).toBe('docker.io/library/alpine:latest');
  });
});

describe('managedJobDefinition', () => {
  it('gives an EC2 definition with task credentials repositoryCredentials and the execution role', () => {
    const input = managedJobDefinition(ec2);

    expect(input).toEqual({
      jobDefinitionName: expect.stringMatching(/^brg-prod-ghcr-io-org-app-1-0-[0-9a-f]{12}$/),
      type: 'container',
      platformCapabilities: ['EC2'],
      containerProperties: {
        image: 'ghcr.io/org/app:1.0',
        resourceRequirements: [
          { type: 'VCPU', value: '1' },
          { type: 'MEMORY', value: '2048' },
        ],
        executionRoleArn: EXECUTION_ROLE,
        repositoryCredentials: { credentialsParameter: CREDENTIAL_ARN },
      },
      tags: { 'batch-registry-gateway:managed': 'true' },
    });
  });

  it('gives a Fargate definition its capabilities, execution role, public IP setting and platform version', () => {
    const input = managedJobDefinition({
      ...fargate,
      credentialSecretArn: undefined,
      assignPublicIp: 'ENABLED',
    });

    expect(input.platformCapabilities).toEqual(['FARGATE']);
    expect(input.containerProperties).toEqual({
      image: 'ghcr.io/org/app:1.0',
      resourceRequirements: [
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '2048' },
      ],
      executionRoleArn: EXECUTION_ROLE,
      networkConfiguration: { assignPublicIp: 'ENABLED' },
      fargatePlatformConfiguration: { platformVersion: 'LATEST' },
    });
  });

  it('gives another name for any change of mode, platform, role, network or image, and the same name otherwise', () => {
    const variants: DefinitionIdentity[] = [
      ec2,
      { ...ec2, credentialSecretArn: undefined, executionRoleArn: undefined },
      { ...ec2, credentialSecretArn: `${CREDENTIAL_ARN.slice(0, -6)}Zz98Yx` },
      { ...ec2, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/other-execution` },
      { ...ec2, jobRoleArn: JOB_ROLE },
      fargate,
      { ...fargate, assignPublicIp: 'ENABLED' },
      { ...ec2, image: 'ghcr.io/org/app:1.1' },
      { ...ec2, stage: 'dev' },
    ];

    const names = variants.map((identity) => managedJobDefinition(identity).jobDefinitionName);

    expect(new Set(names).size).toBe(variants.length);
    expect(managedJobDefinition({ ...ec2 }).jobDefinitionName).toBe(names[0]);
  });
});

describe('isExactly', () => {
  it.each([
    ['EC2 with task credentials', ec2],
    ['EC2 without', { ...ec2, credentialSecretArn: undefined, executionRoleArn: undefined }],
    ['Fargate', fargate],
    ['Fargate with a job role', { ...fargate, jobRoleArn: JOB_ROLE }],
  ])('accepts the revision Batch describes for what the gateway registered (%s)', (_label, identity) => {
    const input = managedJobDefinition(identity);

    expect(isExactly(asDescribed(input), input)).toBe(true);
  });

  it('accepts a Fargate revision whose network and platform version Batch left as defaults', () => {
    const input = managedJobDefinition(fargate);
    const described = asDescribed(input);
    delete described.containerProperties?.networkConfiguration;
    delete described.containerProperties?.fargatePlatformConfiguration;

    expect(isExactly(described, input)).toBe(true);
  });

  const planted: Array<[string, (definition: JobDefinition) => void]> = [
    [
      'a syslog log driver',
      (d) =>
        Object.assign(d.containerProperties ?? {}, {
          logConfiguration: { logDriver: 'syslog', options: { 'syslog-address': 'tcp://203.0.113.9:514' } },
        }),
    ],
    ['ECS Exec', (d) => Object.assign(d.containerProperties ?? {}, { enableExecuteCommand: true })],
    ['privileged', (d) => Object.assign(d.containerProperties ?? {}, { privileged: true })],
    [
      'a volume',
      (d) =>
        Object.assign(d.containerProperties ?? {}, {
          volumes: [{ name: 'host', host: { sourcePath: '/' } }],
        }),
    ],
    ['a command', (d) => Object.assign(d.containerProperties ?? {}, { command: ['sh', '-c', 'curl evil'] })],
    [
      'a secret',
      (d) =>
        Object.assign(d.containerProperties ?? {}, {
          secrets: [{ name: 'X', valueFrom: 'arn:aws:ssm:us-east-1:1:parameter/x' }],
        }),
    ],
    ['another job role', (d) => Object.assign(d.containerProperties ?? {}, { jobRoleArn: JOB_ROLE })],
    [
      'another execution role',
      (d) =>
        Object.assign(d.containerProperties ?? {}, { executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/x` }),
    ],
    ['no repositoryCredentials', (d) => delete d.containerProperties?.repositoryCredentials],
    [
      'other repositoryCredentials',
      (d) =>
        Object.assign(d.containerProperties ?? {}, {
          repositoryCredentials: { credentialsParameter: `${CREDENTIAL_ARN}x` },
        }),
    ],
    ['another image', (d) => Object.assign(d.containerProperties ?? {}, { image: 'ghcr.io/org/app:evil' })],
    [
      'more memory',
      (d) =>
        Object.assign(d.containerProperties ?? {}, {
          resourceRequirements: [
            { type: 'VCPU', value: '1' },
            { type: 'MEMORY', value: '4096' },
          ],
        }),
    ],
    ['the Fargate capability', (d) => Object.assign(d, { platformCapabilities: ['FARGATE'] })],
    ['propagated tags', (d) => Object.assign(d, { propagateTags: true })],
    ['another tag', (d) => Object.assign(d, { tags: { ...d.tags, team: 'x' } })],
    ['no managed tag', (d) => Object.assign(d, { tags: {} })],
    ['a retry strategy', (d) => Object.assign(d, { retryStrategy: { attempts: 10 } })],
    ['a timeout', (d) => Object.assign(d, { timeout: { attemptDurationSeconds: 60 } })],
    ['parameters', (d) => Object.assign(d, { parameters: { a: 'b' } })],
    ['a scheduling priority', (d) => Object.assign(d, { schedulingPriority: 9999 })],
    ['status INACTIVE', (d) => Object.assign(d, { status: 'INACTIVE' })],
  ];

  it.each(planted)('refuses a revision planted under the name with %s', (_label, plant) => {
    const input = managedJobDefinition(ec2);
    const described = asDescribed(input, 7);
    plant(described);

    expect(isExactly(described, input)).toBe(false);
  });

  it('refuses a revision with any extra non-empty field, anywhere (property)', () => {
    const key = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter(
        (name) =>
          !['__proto__', 'jobDefinitionName', 'jobDefinitionArn', 'revision', 'status'].includes(name),
      );
    const value = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.integer(),
      fc.constant(true),
      fc.dictionary(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), { minKeys: 1 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(ec2, fargate),
        fc.boolean(),
        key,
        value,
        (identity, inContainer, name, extra) => {
          const input = managedJobDefinition(identity);
          const described = asDescribed(input) as unknown as Record<string, unknown>;
          const target = inContainer ? (described.containerProperties as Record<string, unknown>) : described;
          fc.pre(!(name in target));
          target[name] = extra;

          return !isExactly(described as unknown as JobDefinition, input);
        },
      ),
      { numRuns: 500 },
    );
  });
});
