import {
  BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { LogSink, RolloutDeps, RolloutSettings } from '../../../lib/rollout/rollout';

export const ACCOUNT = '123456789012';
export const LT_ID = 'lt-0abcd1234ef567890';
export const LT_NAME = 'batch-registry-gateway';
export const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:batch-registry-credentials-AbC123`;
export const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch`;
export const PASSWORD = 'pw-LEAK-CANARY-7f3a';
export const SECRET_STRING = JSON.stringify({
  registries: [
    { registry_url: 'registry.example.com', username: 'bot', password: PASSWORD },
    { registry_url: 'ghcr.io', username: 'bot', password: `${PASSWORD}-gh` },
  ],
});

export const ec2Mock = mockClient(EC2Client);
export const batchMock = mockClient(BatchClient);
export const secretsMock = mockClient(SecretsManagerClient);

export interface FakeVersion {
  versionNumber: number;
  description: string | undefined;
}

/** A launch template that behaves like EC2's: versions, a default, ClientToken idempotency. */
export class FakeLaunchTemplate {
  versions: FakeVersion[];
  defaultVersion: number;
  private readonly tokens = new Map<string, number>();

  constructor(versions: FakeVersion[], defaultVersion: number) {
    this.versions = versions;
    this.defaultVersion = defaultVersion;
  }

  install(): void {
    ec2Mock.on(DescribeLaunchTemplateVersionsCommand).callsFake(() => ({
      LaunchTemplateVersions: [...this.versions]
        .sort((a, b) => b.versionNumber - a.versionNumber)
        .map((version) => ({
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber: version.versionNumber,
          VersionDescription: version.description,
          CreateTime: new Date('2025-03-01T00:00:00Z'),
          CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
          DefaultVersion: version.versionNumber === this.defaultVersion,
          LaunchTemplateData: { UserData: 'Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ=' },
        })),
    }));
    ec2Mock.on(CreateLaunchTemplateVersionCommand).callsFake((input) => {
      const token = input.ClientToken ?? '';
      let versionNumber = this.tokens.get(token);
      if (versionNumber === undefined) {
        versionNumber = Math.max(0, ...this.versions.map((v) => v.versionNumber)) + 1;
        this.versions.push({ versionNumber, description: input.VersionDescription });
        this.tokens.set(token, versionNumber);
      }
      return {
        LaunchTemplateVersion: {
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber: versionNumber,
          VersionDescription: input.VersionDescription,
          DefaultVersion: false,
          CreateTime: new Date('2025-03-04T10:00:00Z'),
          CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
        },
      };
    });
    ec2Mock.on(ModifyLaunchTemplateCommand).callsFake((input) => {
      this.defaultVersion = Number(input.DefaultVersion);
      return {
        LaunchTemplate: {
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          DefaultVersionNumber: this.defaultVersion,
          LatestVersionNumber: Math.max(...this.versions.map((v) => v.versionNumber)),
          CreateTime: new Date('2025-03-01T00:00:00Z'),
          CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
        },
      };
    });
    ec2Mock.on(DeleteLaunchTemplateVersionsCommand).callsFake((input) => {
      const requested: number[] = (input.Versions ?? []).map(Number);
      this.versions = this.versions.filter((v) => !requested.includes(v.versionNumber));
      return {
        SuccessfullyDeletedLaunchTemplateVersions: requested.map((versionNumber) => ({
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber: versionNumber,
        })),
        UnsuccessfullyDeletedLaunchTemplateVersions: [],
      };
    });
  }
}

/** A compute environment in the shape DescribeComputeEnvironments returns. */
export function computeEnvironment(
  name: string,
  options: {
    version?: string;
    status?: ComputeEnvironmentDetail['status'];
    allocationStrategy?: string;
    serviceRole?: string;
    launchTemplateId?: string;
    overrides?: NonNullable<
      NonNullable<ComputeEnvironmentDetail['computeResources']>['launchTemplate']
    >['overrides'];
  } = {},
): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: name,
    computeEnvironmentArn: `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/${name}`,
    ecsClusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/AWSBatch-${name}-4a3b2c1d`,
    type: 'MANAGED',
    state: 'ENABLED',
    status: options.status ?? 'VALID',
    statusReason: 'ComputeEnvironment Healthy',
    containerOrchestrationType: 'ECS',
    uuid: '2f3e4d5c-6b7a-4899-a0b1-c2d3e4f5a6b7',
    computeResources: {
      type: 'EC2',
      allocationStrategy: (options.allocationStrategy ?? 'BEST_FIT_PROGRESSIVE') as 'BEST_FIT_PROGRESSIVE',
      minvCpus: 0,
      maxvCpus: 256,
      desiredvCpus: 0,
      instanceTypes: ['optimal'],
      subnets: ['subnet-0a1b2c3d4e5f60718'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      instanceRole: `arn:aws:iam::${ACCOUNT}:instance-profile/ecsInstanceRole`,
      tags: {},
      ec2Configuration: [{ imageType: 'ECS_AL2023' }],
      launchTemplate: {
        launchTemplateId: options.launchTemplateId ?? LT_ID,
        version: options.version ?? '3',
        ...(options.overrides ? { overrides: options.overrides } : {}),
      },
    },
    serviceRole: options.serviceRole ?? SLR,
    updatePolicy: { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 },
  };
}

/** Batch with these compute environments; UpdateComputeEnvironment is recorded, not applied. */
export function installComputeEnvironments(environments: () => ComputeEnvironmentDetail[]): void {
  batchMock.on(DescribeComputeEnvironmentsCommand).callsFake((input) => {
    const wanted = input.computeEnvironments;
    const all = environments();
    return {
      computeEnvironments:
        wanted === undefined
          ? all
          : all.filter(
              (ce) =>
                wanted.includes(ce.computeEnvironmentName ?? '') ||
                wanted.includes(ce.computeEnvironmentArn ?? ''),
            ),
    };
  });
  batchMock.on(UpdateComputeEnvironmentCommand).callsFake((input) => ({
    computeEnvironmentName: String(input.computeEnvironment).split('/').pop(),
    computeEnvironmentArn: input.computeEnvironment,
  }));
}

export function installSecret(versionId: string, secretString = SECRET_STRING): void {
  secretsMock.on(GetSecretValueCommand, { VersionId: versionId }).resolves({
    ARN: SECRET_ARN,
    Name: 'batch-registry-credentials',
    VersionId: versionId,
    SecretString: secretString,
    VersionStages: ['AWSPENDING'],
    CreatedDate: new Date('2025-03-04T10:00:00Z'),
  });
}

/** A logger that keeps every line, to assert on and to search for leaks. */
export function recordingLogger(): LogSink & { lines: () => string } {
  const info = jest.fn();
  const warn = jest.fn();
  return {
    info,
    warn,
    lines: () => JSON.stringify([...info.mock.calls, ...warn.mock.calls]),
  };
}

export const SETTINGS: RolloutSettings = {
  launchTemplateId: LT_ID,
  computeEnvironments: ['ce-ondemand'],
  verifyCredentials: true,
  updateTerminateJobs: false,
  updateJobTimeoutMinutes: 30,
  keepLaunchTemplateVersions: 10,
  // The launch template and compute environment suites leave the credential secrets (SPEC §11)
  // out; test/lib/rollout/task-credentials.test.ts covers them in the rollout.
  taskCredentials: false,
  instanceCredentials: true,
  registrySecretPrefix: 'batch-registry-gateway/test/registry/',
};

export const RENDERED_USER_DATA = 'Content-Type: multipart/mixed; boundary="==B=="\n\n--==B==--\n';

export function makeDeps(overrides: Partial<RolloutDeps> = {}): RolloutDeps & {
  sleeps: number[];
  logger: ReturnType<typeof recordingLogger>;
} {
  const sleeps: number[] = [];
  const logger = recordingLogger();
  return {
    ec2: new EC2Client({ region: 'us-east-1' }),
    batch: new BatchClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    verifier: { login: jest.fn().mockResolvedValue(undefined) },
    renderUserData: jest.fn().mockReturnValue(RENDERED_USER_DATA),
    settings: SETTINGS,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    ...overrides,
    logger,
    sleeps,
  };
}
