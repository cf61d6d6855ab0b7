import {
  BatchServiceException,
  ClientException,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2ServiceException,
  ModifyLaunchTemplateCommand,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { versionDescriptionFor } from '../../lib/rollout/launch-template';
import {
  ACCOUNT,
  batchMock,
  computeEnvironment,
  ec2Mock,
  LT_ID,
  LT_NAME,
  SECRET_ARN,
  SECRET_STRING,
  secretsMock,
} from '../lib/rollout/fakes';

export { ACCOUNT, batchMock, ec2Mock, LT_ID, SECRET_ARN, secretsMock };
export const SECRET_NAME = 'batch-registry-credentials';

/** Every AWS call the rollout and the rotation make, by the API's own name. */
export type AwsCall =
  | 'GetSecretValue'
  | 'DescribeSecret'
  | 'UpdateSecretVersionStage'
  | 'DescribeLaunchTemplateVersions'
  | 'CreateLaunchTemplateVersion'
  | 'ModifyLaunchTemplate'
  | 'DeleteLaunchTemplateVersions'
  | 'DescribeComputeEnvironments'
  | 'UpdateComputeEnvironment';

/**
 * What an injected fault does to one call:
 * - `reject`: the call fails before it reaches the service (throttled, refused);
 * - `lose-response`: the service does the work, then the caller gets an error (a dropped
 *   connection, or the Lambda timing out while the response was on its way);
 * - `hang`: the call never answers (the Lambda times out waiting);
 * - `stale`: a Describe* call answers from before the last write (eventual consistency).
 */
export type Fault =
  | { readonly kind: 'reject'; readonly error: Error }
  | { readonly kind: 'lose-response'; readonly error: Error }
  | { readonly kind: 'hang'; readonly afterEffect: boolean }
  | { readonly kind: 'stale' };

/** EC2 (query protocol) has no modelled throttling class: its SDK raises the service exception named by the code. */
export function ec2Throttled(): EC2ServiceException {
  return new EC2ServiceException({
    name: 'RequestLimitExceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 503, requestId: 'a1b2c3d4-0000-4000-8000-ec2throttled' },
    message: 'Request limit exceeded.',
  });
}

/** AWS Batch answers throttled calls with HTTP 429 TooManyRequestsException (not a modelled class). */
export function batchThrottled(): BatchServiceException {
  return new BatchServiceException({
    name: 'TooManyRequestsException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429, requestId: 'b1b2c3d4-0000-4000-8000-batchthrottle' },
    message: 'Too Many Requests',
  });
}

/** Secrets Manager's common error ThrottlingException (HTTP 400; not a modelled class in the client). */
export function secretsThrottled(): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'c1b2c3d4-0000-4000-8000-smthrottled' },
    message: 'Rate exceeded',
  });
}

/** The throttling error each call's service really answers with. */
export function throttledFor(call: AwsCall): Error {
  switch (call) {
    case 'GetSecretValue':
    case 'DescribeSecret':
    case 'UpdateSecretVersionStage':
      return secretsThrottled();
    case 'DescribeLaunchTemplateVersions':
    case 'CreateLaunchTemplateVersion':
    case 'ModifyLaunchTemplate':
    case 'DeleteLaunchTemplateVersions':
      return ec2Throttled();
    case 'DescribeComputeEnvironments':
    case 'UpdateComputeEnvironment':
      return batchThrottled();
  }
}

interface LaunchTemplateVersion {
  readonly versionNumber: number;
  readonly description: string | undefined;
  /** Base64, as CreateLaunchTemplateVersion received it. */
  readonly userData: string | undefined;
  readonly clientToken: string | undefined;
  /** The whole launch template data of the version (its user data included). */
  readonly data: ResponseLaunchTemplateData;
}

interface SecretVersionState {
  readonly secretString: string;
  stages: string[];
}

export interface FleetSnapshot {
  readonly versions: readonly { versionNumber: number; description: string | undefined }[];
  readonly defaultVersion: number;
  readonly computeEnvironments: Readonly<Record<string, string | undefined>>;
  readonly current: string | undefined;
}

/**
 * A stateful stand-in for the three services, behaving as they do where the rollout depends on
 * it: EC2 launch template versions with a default and ClientToken idempotency (same token and
 * same request → the same version; same token, other request → IdempotentParameterMismatch);
 * Batch compute environments that take an update, turn UPDATING for `updatingDescribes`
 * describes and refuse another update meanwhile; Secrets Manager versions and staging labels.
 * Faults are queued per call and consumed one per call.
 */
export class FakeAws {
  versions: LaunchTemplateVersion[] = [];
  defaultVersion = 1;
  readonly environments = new Map<string, ComputeEnvironmentDetail>();
  readonly secretVersions = new Map<string, SecretVersionState>();
  /** How many describes a compute environment stays UPDATING after an update. */
  updatingDescribes = 1;
  /** Every UpdateComputeEnvironment that took effect: environment name and version. */
  readonly appliedUpdates: { computeEnvironment: string; version: string | undefined }[] = [];
  /** Every write that took effect, in order: `CreateLaunchTemplateVersion 4`, `UpdateSecretVersionStage AWSCURRENT→<id>`. */
  readonly journal: string[] = [];
  private readonly faults = new Map<AwsCall, (Fault | undefined)[]>();
  private readonly tokens = new Map<string, { version: number; fingerprint: string }>();
  private readonly updatingLeft = new Map<string, number>();
  private snapshotForStale: LaunchTemplateVersion[] | undefined;

  constructor(options: { versions?: number; environments?: readonly string[] } = {}) {
    const count = options.versions ?? 3;
    for (let n = 1; n <= count; n += 1) {
      this.versions.push({
        versionNumber: n,
        description: n === 1 ? 'initial' : versionDescriptionFor(`older-${n}`),
        userData: undefined,
        clientToken: undefined,
        data: {},
      });
    }
    this.defaultVersion = count;
    for (const name of options.environments ?? ['ce-ondemand']) {
      this.environments.set(name, computeEnvironment(name, { version: String(count) }));
    }
  }

  /** Queues a fault for `times` calls of `call`, after letting `pass` calls through untouched. */
  inject(call: AwsCall, fault: Fault, options: { times?: number; pass?: number } = {}): void {
    const queue = this.faults.get(call) ?? [];
    for (let i = 0; i < (options.pass ?? 0); i += 1) queue.push(undefined);
    for (let i = 0; i < (options.times ?? 1); i += 1) queue.push(fault);
    this.faults.set(call, queue);
  }

  /** Drops every queued fault: the throttle clears. */
  clearFaults(): void {
    this.faults.clear();
  }

  addSecretVersion(versionId: string, secretString: string, stages: string[]): void {
    for (const state of this.secretVersions.values()) {
      state.stages = state.stages.filter((stage) => !stages.includes(stage));
    }
    this.secretVersions.set(versionId, { secretString, stages: [...stages] });
  }

  /** Moves a staging label as UpdateSecretVersionStage does. */
  moveStage(stage: string, to: string): void {
    for (const [id, state] of this.secretVersions) {
      const had = state.stages.includes(stage);
      state.stages = state.stages.filter((label) => label !== stage);
      if (had && stage === 'AWSCURRENT' && id !== to && !state.stages.includes('AWSPREVIOUS')) {
        state.stages.push('AWSPREVIOUS');
      }
    }
    const target = this.secretVersions.get(to);
    if (!target) throw new Error(`no secret version ${to}`);
    target.stages = [...target.stages.filter((label) => label !== 'AWSPREVIOUS'), stage];
  }

  currentVersion(): string | undefined {
    return [...this.secretVersions].find(([, state]) => state.stages.includes('AWSCURRENT'))?.[0];
  }

  /**
   * What CloudFormation does when a stack update changes an `AWS::EC2::LaunchTemplate`: a new
   * latest version with the template's whole data, the default left where it was
   * (cloudformation-coverage-roadmap issue 1518). Returns the new version's number.
   */
  cloudFormationUpdate(data: ResponseLaunchTemplateData, description?: string): number {
    const versionNumber = Math.max(0, ...this.versions.map((v) => v.versionNumber)) + 1;
    this.versions.push({ versionNumber, description, userData: data.UserData, clientToken: undefined, data });
    this.journal.push(`CloudFormation LaunchTemplate ${versionNumber}`);
    return versionNumber;
  }

  /** Versions whose description names secret version `secretVersionId`. */
  versionsFor(secretVersionId: string): LaunchTemplateVersion[] {
    return this.versions.filter((version) => version.description === versionDescriptionFor(secretVersionId));
  }

  environmentVersion(name: string): string | undefined {
    return this.environments.get(name)?.computeResources?.launchTemplate?.version;
  }

  snapshot(): FleetSnapshot {
    return {
      versions: this.versions.map(({ versionNumber, description }) => ({ versionNumber, description })),
      defaultVersion: this.defaultVersion,
      computeEnvironments: Object.fromEntries(
        [...this.environments.keys()].map((name) => [name, this.environmentVersion(name)]),
      ),
      current: this.currentVersion(),
    };
  }

  /** Registers every handler on the shared client mocks (call after `mock.reset()`). */
  install(): void {
    this.installSecretsManager();
    this.installEc2();
    this.installBatch();
  }

  private async gate(call: AwsCall): Promise<Fault | undefined> {
    const fault = this.faults.get(call)?.shift();
    if (fault === undefined) return undefined;
    if (fault.kind === 'reject') throw fault.error;
    if (fault.kind === 'hang' && !fault.afterEffect) await never();
    return fault;
  }

  private async settle<T>(fault: Fault | undefined, result: T): Promise<T> {
    if (fault?.kind === 'lose-response') throw fault.error;
    if (fault?.kind === 'hang') await never();
    return result;
  }

  private installSecretsManager(): void {
    secretsMock.on(DescribeSecretCommand).callsFake(async () => {
      const fault = await this.gate('DescribeSecret');
      return this.settle(fault, {
        ARN: SECRET_ARN,
        Name: SECRET_NAME,
        RotationEnabled: true,
        RotationLambdaARN: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:batch-registry-gateway-rotateSecret`,
        VersionIdsToStages: Object.fromEntries(
          [...this.secretVersions].map(([id, state]) => [id, [...state.stages]]),
        ),
      });
    });
    secretsMock.on(GetSecretValueCommand).callsFake(async (input) => {
      const fault = await this.gate('GetSecretValue');
      const entry = [...this.secretVersions].find(
        ([id, state]) =>
          (input.VersionId === undefined || input.VersionId === id) &&
          (input.VersionStage === undefined || state.stages.includes(input.VersionStage)) &&
          (input.VersionId !== undefined ||
            input.VersionStage !== undefined ||
            state.stages.includes('AWSCURRENT')),
      );
      if (!entry) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          $metadata: { httpStatusCode: 400 },
        });
      }
      const [versionId, state] = entry;
      return this.settle(fault, {
        ARN: SECRET_ARN,
        Name: SECRET_NAME,
        VersionId: versionId,
        SecretString: state.secretString,
        VersionStages: [...state.stages],
        CreatedDate: new Date('2025-03-04T10:00:00Z'),
      });
    });
    secretsMock.on(UpdateSecretVersionStageCommand).callsFake(async (input) => {
      const fault = await this.gate('UpdateSecretVersionStage');
      const stage = input.VersionStage ?? '';
      if (input.MoveToVersionId === undefined && input.RemoveFromVersionId !== undefined) {
        const from = this.secretVersions.get(input.RemoveFromVersionId);
        if (from) from.stages = from.stages.filter((label) => label !== stage);
        this.journal.push(`UpdateSecretVersionStage ${stage} removed from ${input.RemoveFromVersionId}`);
        return this.settle(fault, { ARN: SECRET_ARN, Name: SECRET_NAME });
      }
      const to = input.MoveToVersionId ?? '';
      const holder = [...this.secretVersions].find(([, state]) => state.stages.includes(stage))?.[0];
      if (holder !== undefined && holder !== to && input.RemoveFromVersionId !== holder) {
        throw new SecretsManagerServiceException({
          name: 'InvalidParameterException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `The parameter RemoveFromVersionId must be ${holder} to move ${stage}`,
        });
      }
      this.moveStage(stage, to);
      this.journal.push(`UpdateSecretVersionStage ${stage}→${to}`);
      return this.settle(fault, { ARN: SECRET_ARN, Name: SECRET_NAME });
    });
  }

  private describeVersions(versions: readonly LaunchTemplateVersion[]) {
    return [...versions]
      .sort((a, b) => b.versionNumber - a.versionNumber)
      .map((version) => ({
        LaunchTemplateId: LT_ID,
        LaunchTemplateName: LT_NAME,
        VersionNumber: version.versionNumber,
        VersionDescription: version.description,
        CreateTime: new Date('2025-03-01T00:00:00Z'),
        CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
        DefaultVersion: version.versionNumber === this.defaultVersion,
        LaunchTemplateData: structuredClone(version.data),
      }));
  }

  private installEc2(): void {
    ec2Mock.on(DescribeLaunchTemplateVersionsCommand).callsFake(async () => {
      const fault = await this.gate('DescribeLaunchTemplateVersions');
      const seen = fault?.kind === 'stale' && this.snapshotForStale ? this.snapshotForStale : this.versions;
      return this.settle(fault, { LaunchTemplateVersions: this.describeVersions(seen) });
    });
    ec2Mock.on(CreateLaunchTemplateVersionCommand).callsFake(async (input) => {
      const fault = await this.gate('CreateLaunchTemplateVersion');
      const token = input.ClientToken;
      const fingerprint = JSON.stringify([
        input.SourceVersion,
        input.VersionDescription,
        input.LaunchTemplateData,
      ]);
      const known = token === undefined ? undefined : this.tokens.get(token);
      if (known && known.fingerprint !== fingerprint) {
        throw new EC2ServiceException({
          name: 'IdempotentParameterMismatch',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message:
            'The client token you have provided is associated with a resource that is already deleted, or with different parameters.',
        });
      }
      let versionNumber = known?.version;
      if (versionNumber === undefined) {
        // The new version inherits every parameter of SourceVersion, the given ones overwriting
        // (CreateLaunchTemplateVersion, EC2 API reference).
        const source =
          input.SourceVersion === undefined
            ? undefined
            : this.versions.find((version) => String(version.versionNumber) === input.SourceVersion);
        if (input.SourceVersion !== undefined && !source) {
          throw new EC2ServiceException({
            name: 'InvalidLaunchTemplateId.VersionNotFound',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: `Could not find launch template version ${input.SourceVersion}`,
          });
        }
        const data = {
          ...structuredClone(source?.data ?? {}),
          ...input.LaunchTemplateData,
        } as ResponseLaunchTemplateData;
        this.snapshotForStale = [...this.versions];
        versionNumber = Math.max(0, ...this.versions.map((v) => v.versionNumber)) + 1;
        this.versions.push({
          versionNumber,
          description: input.VersionDescription,
          userData: data.UserData,
          clientToken: token,
          data,
        });
        if (token !== undefined) this.tokens.set(token, { version: versionNumber, fingerprint });
        this.journal.push(`CreateLaunchTemplateVersion ${versionNumber}`);
      }
      return this.settle(fault, {
        LaunchTemplateVersion: {
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber: versionNumber,
          VersionDescription: input.VersionDescription,
          DefaultVersion: versionNumber === this.defaultVersion,
          CreateTime: new Date('2025-03-04T10:00:00Z'),
          CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
        },
      });
    });
    ec2Mock.on(ModifyLaunchTemplateCommand).callsFake(async (input) => {
      const fault = await this.gate('ModifyLaunchTemplate');
      const wanted = Number(input.DefaultVersion);
      if (!this.versions.some((version) => version.versionNumber === wanted)) {
        throw new EC2ServiceException({
          name: 'InvalidLaunchTemplateId.VersionNotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `Could not find launch template version ${input.DefaultVersion}`,
        });
      }
      this.defaultVersion = wanted;
      this.journal.push(`ModifyLaunchTemplate default=${wanted}`);
      return this.settle(fault, {
        LaunchTemplate: {
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          DefaultVersionNumber: this.defaultVersion,
          LatestVersionNumber: Math.max(...this.versions.map((v) => v.versionNumber)),
        },
      });
    });
    ec2Mock.on(DeleteLaunchTemplateVersionsCommand).callsFake(async (input) => {
      const fault = await this.gate('DeleteLaunchTemplateVersions');
      const requested: number[] = (input.Versions ?? []).map(Number);
      const refused = requested.filter((n) => n === this.defaultVersion);
      const deleted = requested.filter((n) => !refused.includes(n));
      this.versions = this.versions.filter((v) => !deleted.includes(v.versionNumber));
      return this.settle(fault, {
        SuccessfullyDeletedLaunchTemplateVersions: deleted.map((VersionNumber) => ({
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber,
        })),
        UnsuccessfullyDeletedLaunchTemplateVersions: refused.map((VersionNumber) => ({
          LaunchTemplateId: LT_ID,
          LaunchTemplateName: LT_NAME,
          VersionNumber,
          ResponseError: {
            Code: 'launchTemplateVersionIsDefault',
            Message: 'Cannot delete the default version',
          },
        })),
      });
    });
  }

  private installBatch(): void {
    batchMock.on(DescribeComputeEnvironmentsCommand).callsFake(async (input) => {
      const fault = await this.gate('DescribeComputeEnvironments');
      const wanted = input.computeEnvironments;
      const details = [...this.environments.values()].filter(
        (ce) =>
          wanted === undefined ||
          wanted.includes(ce.computeEnvironmentName ?? '') ||
          wanted.includes(ce.computeEnvironmentArn ?? ''),
      );
      const answer = structuredClone(details);
      for (const ce of details) this.tick(ce);
      return this.settle(fault, { computeEnvironments: answer });
    });
    batchMock.on(UpdateComputeEnvironmentCommand).callsFake(async (input) => {
      const fault = await this.gate('UpdateComputeEnvironment');
      const name = String(input.computeEnvironment).split('/').pop() ?? '';
      const ce = this.environments.get(name);
      if (!ce?.computeResources?.launchTemplate) {
        throw new ClientException({ message: `${input.computeEnvironment} does not exist`, $metadata: {} });
      }
      if (ce.status === 'UPDATING') {
        throw new ClientException({
          message: `Cannot update compute environment ${ce.computeEnvironmentArn}: it is in UPDATING status`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      const requested = input.computeResources?.launchTemplate;
      ce.computeResources.launchTemplate = {
        ...ce.computeResources.launchTemplate,
        ...requested,
      };
      this.appliedUpdates.push({ computeEnvironment: name, version: requested?.version });
      this.journal.push(`UpdateComputeEnvironment ${name}=${requested?.version}`);
      if (this.updatingDescribes > 0) {
        ce.status = 'UPDATING';
        this.updatingLeft.set(name, this.updatingDescribes);
      }
      return this.settle(fault, {
        computeEnvironmentName: name,
        computeEnvironmentArn: ce.computeEnvironmentArn,
      });
    });
  }

  /** An UPDATING environment turns VALID after `updatingDescribes` describes. */
  private tick(ce: ComputeEnvironmentDetail): void {
    const name = ce.computeEnvironmentName ?? '';
    const left = this.updatingLeft.get(name);
    if (left === undefined) return;
    if (left <= 1) {
      this.updatingLeft.delete(name);
      ce.status = 'VALID';
    } else {
      this.updatingLeft.set(name, left - 1);
    }
  }
}

/** A promise that never settles and holds no timer: a call that never answers. */
/**
 * A fresh fake on freshly reset mocks, mid-rotation: three launch template versions, the given
 * compute environments, `current` as AWSCURRENT and `pending` (with `pendingValue`) as AWSPENDING.
 */
export function midRotationFake(
  environments: readonly string[],
  versions: { current: string; pending: string; pendingValue: string },
): FakeAws {
  ec2Mock.reset();
  batchMock.reset();
  secretsMock.reset();
  const fake = new FakeAws({ versions: 3, environments: [...environments] });
  fake.addSecretVersion(versions.current, SECRET_STRING, ['AWSCURRENT']);
  fake.addSecretVersion(versions.pending, versions.pendingValue, ['AWSPENDING']);
  fake.install();
  return fake;
}

export function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** Settles with the outcome of `work`, or rejects like a Lambda timeout after `ms`; `work` keeps running. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Decodes the user data of a launch template version. */
export function decodedUserData(version: { userData: string | undefined }): string {
  return Buffer.from(version.userData ?? '', 'base64').toString('utf8');
}
