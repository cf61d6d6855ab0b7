import {
  type BatchClient,
  DescribeJobDefinitionsCommand,
  type JobDefinition,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { awsFailure, callAws } from '../aws-errors';
import { logger } from '../logger';
import { jobDefinitionName } from './names';
import { GATEWAY_TAG_PREFIX } from './schema';

/** Tag on every managed job definition. */
export const MANAGED_TAG_KEY = `${GATEWAY_TAG_PREFIX}managed`;
/** Resources of a managed job definition; submissions override them. */
export const DEFAULT_VCPUS = 1;
export const DEFAULT_MEMORY_MIB = 2048;

export interface ManagedJobDefinition {
  readonly name: string;
  /** `arn:...:job-definition/<name>:<revision>`; jobs are submitted with it. */
  readonly arn: string;
}

export interface JobDefinitionSettings {
  readonly jobRoleArn: string | undefined;
}

/**
 * The managed job definitions of one container: one per normalised image, found by its
 * deterministic name (DescribeJobDefinitions, ACTIVE) and registered (RegisterJobDefinition) only
 * when no active revision has the same image and job role. Remembered, so the warm path makes no
 * call. Throws HttpError 429 when AWS throttles, 502 otherwise.
 */
export class JobDefinitions {
  private readonly known = new Map<string, ManagedJobDefinition>();

  constructor(
    private readonly batch: BatchClient,
    private readonly settings: JobDefinitionSettings,
  ) {}

  async forImage(normalisedImage: string): Promise<ManagedJobDefinition> {
    const remembered = this.known.get(normalisedImage);
    if (remembered) return remembered;
    const name = jobDefinitionName(normalisedImage);
    const definition =
      (await this.findActive(name, normalisedImage)) ?? (await this.register(name, normalisedImage));
    this.known.set(normalisedImage, definition);
    return definition;
  }

  /** Forgets the definition remembered for one image, so the next request looks it up again. */
  forget(normalisedImage: string): void {
    this.known.delete(normalisedImage);
  }

  /** Forgets every remembered definition (tests; a new container starts empty). */
  clear(): void {
    this.known.clear();
  }

  private async findActive(name: string, image: string): Promise<ManagedJobDefinition | undefined> {
    const matching: JobDefinition[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callAws(
        () =>
          this.batch.send(
            new DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: 'ACTIVE', nextToken }),
          ),
        'AWS Batch failed to look up the job definition.',
      );
      matching.push(...(page.jobDefinitions ?? []).filter((definition) => this.fits(definition, image)));
      nextToken = page.nextToken;
    } while (nextToken);
    const newest = matching.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
    if (!newest?.jobDefinitionArn) return undefined;
    logger.debug('reusing job definition', { jobDefinition: newest.jobDefinitionArn });
    return { name, arn: newest.jobDefinitionArn };
  }

  /**
   * Whether an active revision is one this gateway would register: same image and job role,
   * tagged as managed, and nothing more (a revision someone else registered under the name with
   * extra privileges, volumes, secrets, a command or another role is not reused).
   */
  private fits(definition: JobDefinition, image: string): boolean {
    const container = definition.containerProperties;
    const none = (list: readonly unknown[] | undefined) => list === undefined || list.length === 0;
    return (
      definition.status === 'ACTIVE' &&
      definition.type === 'container' &&
      definition.tags?.[MANAGED_TAG_KEY] === 'true' &&
      container?.image === image &&
      container.jobRoleArn === this.settings.jobRoleArn &&
      container.executionRoleArn === undefined &&
      !container.privileged &&
      container.user === undefined &&
      container.linuxParameters === undefined &&
      none(container.command) &&
      none(container.environment) &&
      none(container.volumes) &&
      none(container.mountPoints) &&
      none(container.secrets) &&
      none(container.ulimits) &&
      definition.retryStrategy === undefined &&
      definition.timeout === undefined &&
      Object.keys(definition.parameters ?? {}).length === 0
    );
  }

  private async register(name: string, image: string): Promise<ManagedJobDefinition> {
    const registered = await callAws(
      () =>
        this.batch.send(
          new RegisterJobDefinitionCommand({
            jobDefinitionName: name,
            type: 'container',
            platformCapabilities: ['EC2'],
            containerProperties: {
              image,
              resourceRequirements: [
                { type: 'VCPU', value: String(DEFAULT_VCPUS) },
                { type: 'MEMORY', value: String(DEFAULT_MEMORY_MIB) },
              ],
              ...(this.settings.jobRoleArn ? { jobRoleArn: this.settings.jobRoleArn } : {}),
            },
            tags: { [MANAGED_TAG_KEY]: 'true' },
          }),
        ),
      'AWS Batch failed to register the job definition.',
    );
    if (!registered.jobDefinitionArn) {
      throw awsFailure(
        new Error('RegisterJobDefinition returned no ARN'),
        'AWS Batch failed to register the job definition.',
      );
    }
    logger.info('registered job definition', { jobDefinition: registered.jobDefinitionArn, image });
    return { name, arn: registered.jobDefinitionArn };
  }
}
