import {
  type BatchClient,
  DescribeJobDefinitionsCommand,
  type JobDefinition,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { awsFailure, callAws } from '../aws-errors';
import { logger } from '../logger';
import { BoundedCache } from './bounded-cache';
import { isExactly, type ManagedDefinitionInput } from './definition-spec';

export interface ManagedJobDefinition {
  readonly name: string;
  /** `arn:...:job-definition/<name>:<revision>`; jobs are submitted with it. */
  readonly arn: string;
}

/** Distinct definitions one container remembers; the least recently used is looked up again. */
export const MAX_REMEMBERED_DEFINITIONS = 1000;

/**
 * The managed job definitions of one container. A definition is found by its deterministic name
 * (DescribeJobDefinitions, ACTIVE, every page): the newest revision that is exactly what the
 * gateway would register (isExactly) is reused, so a revision someone else planted under the
 * name is never used; otherwise one is registered (RegisterJobDefinition). Remembered by name in a
 * bounded cache, so the warm path makes no call; concurrent requests for one name share one
 * lookup. Throws HttpError 429 when AWS throttles, 502 otherwise.
 */
export class JobDefinitions {
  private readonly known = new BoundedCache<string, ManagedJobDefinition>(MAX_REMEMBERED_DEFINITIONS);
  private readonly pending = new Map<string, Promise<ManagedJobDefinition>>();

  constructor(private readonly batch: BatchClient) {}

  async ensure(input: ManagedDefinitionInput): Promise<ManagedJobDefinition> {
    const name = input.jobDefinitionName;
    const remembered = this.known.get(name);
    if (remembered) return remembered;
    const inFlight = this.pending.get(name);
    if (inFlight) return inFlight;
    const lookup = this.findOrRegister(input)
      .then((definition) => {
        this.known.set(name, definition);
        return definition;
      })
      .finally(() => this.pending.delete(name));
    this.pending.set(name, lookup);
    return lookup;
  }

  /** Forgets the definition remembered under a name, so the next request looks it up again. */
  forget(name: string): void {
    this.known.delete(name);
  }

  /** Forgets every remembered definition (tests; a new container starts empty). */
  clear(): void {
    this.known.clear();
  }

  private async findOrRegister(input: ManagedDefinitionInput): Promise<ManagedJobDefinition> {
    return (await this.findExact(input)) ?? (await this.register(input));
  }

  private async findExact(input: ManagedDefinitionInput): Promise<ManagedJobDefinition | undefined> {
    const name = input.jobDefinitionName;
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
      matching.push(...(page.jobDefinitions ?? []).filter((definition) => isExactly(definition, input)));
      nextToken = page.nextToken;
    } while (nextToken);
    const newest = matching.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
    if (!newest?.jobDefinitionArn) return undefined;
    logger.debug('reusing job definition', { jobDefinition: newest.jobDefinitionArn });
    return { name, arn: newest.jobDefinitionArn };
  }

  private async register(input: ManagedDefinitionInput): Promise<ManagedJobDefinition> {
    const registered = await callAws(
      () => this.batch.send(new RegisterJobDefinitionCommand(input)),
      'AWS Batch failed to register the job definition.',
    );
    if (!registered.jobDefinitionArn) {
      throw awsFailure(
        new Error('RegisterJobDefinition returned no ARN'),
        'AWS Batch failed to register the job definition.',
      );
    }
    logger.info('registered job definition', {
      jobDefinition: registered.jobDefinitionArn,
      image: input.containerProperties?.image,
    });
    return { name: input.jobDefinitionName, arn: registered.jobDefinitionArn };
  }
}
