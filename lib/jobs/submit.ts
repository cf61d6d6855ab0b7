import {
  type BatchClient,
  type KeyValuePair,
  type ResourceRequirement,
  SubmitJobCommand,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { callAws } from '../aws-errors';
import { HttpError } from '../errors';
import { logger } from '../logger';
import { type Caller, canRead, OWNER_TAG_KEY, ownerTagValue } from '../ownership/owner';
import { type ImageReference, ImageReferenceError, parseImageReference } from '../registry/reference';
import { batchFeatureInput, batchFeatureProblems } from './batch-features';
import { BoundedCache } from './bounded-cache';
import type { DefinitionPlanner } from './definition-plan';
import {
  type DefinitionIdentity,
  type ManagedDefinitionInput,
  managedJobDefinition,
} from './definition-spec';
import { checkDependencies } from './dependencies';
import type { ImageAccess } from './image-access';
import { type JobDefinitions, MAX_REMEMBERED_DEFINITIONS } from './job-definitions';
import { callerTagValue, defaultJobName } from './names';
import type { QueueInfo } from './queue';
import { resourceOverrides } from './resources';
import {
  GATEWAY_TAG_PREFIX,
  invalidRequestBody,
  parseSubmitJobRequest,
  type SubmitJobRequest,
} from './schema';

/** Tag on every submitted job: the caller's IAM identity. */
export const SUBMITTED_BY_TAG_KEY = `${GATEWAY_TAG_PREFIX}submitted-by`;

/** Batch's limit on a job definition's image. */
const MAX_IMAGE_LENGTH = 255;

/** AWS Batch's quota on a SubmitJob request's payload (service quotas: 30 KiB). */
export const MAX_SUBMIT_JOB_PAYLOAD_BYTES = 30 * 1024;

/**
 * Stands in for the job definition's ARN while the payload is measured, before any definition is
 * looked up or registered: no real ARN is longer (longest partition and region, a 128-character
 * name, the largest revision).
 */
const LONGEST_DEFINITION_ARN = `arn:aws-us-gov:batch:ap-southeast-99:123456789012:job-definition/${'x'.repeat(128)}:2147483647`;

/** The 202 answer of `POST /jobs`. */
export interface SubmittedJob {
  readonly jobId: string;
  readonly jobName: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  /** The normalised image. */
  readonly image: string;
}

export interface JobSubmitterDeps {
  readonly batch: BatchClient;
  readonly imageAccess: ImageAccess;
  readonly jobDefinitions: JobDefinitions;
  readonly planner: DefinitionPlanner;
  /** The queue's platform and scheduling, learned once per container (QueueInfoCache). */
  readonly queue: { get(): Promise<QueueInfo>; clear(): void };
  readonly jobQueue: string;
  /** `DEFAULT_SHARE_IDENTIFIER`: the share of a job on a fair-share queue that names none (SPEC §15). */
  readonly defaultShareIdentifier?: string;
}

/**
 * `POST /jobs`: validates the body, parses and normalises the image, checks its registry and
 * manifest, finds or registers the managed job definition and submits the job (SubmitJob).
 * Throws HttpError with the status of SPEC §8.
 */
export class JobSubmitter {
  /** RegisterJobDefinition inputs by identity: hashing one on every warm request is wasted work. */
  private readonly definitionInputs = new BoundedCache<string, ManagedDefinitionInput>(
    MAX_REMEMBERED_DEFINITIONS,
  );

  constructor(private readonly deps: JobSubmitterDeps) {}

  private definitionInput(identity: DefinitionIdentity): ManagedDefinitionInput {
    const key = JSON.stringify(identity);
    const known = this.definitionInputs.get(key);
    if (known !== undefined) return known;
    const input = managedJobDefinition(identity);
    this.definitionInputs.set(key, input);
    return input;
  }

  async submit(body: unknown, caller: Caller): Promise<SubmittedJob> {
    const request = parseSubmitJobRequest(body);
    const image = parseImage(request.image);
    const queue = await this.deps.queue.get();
    const { platform } = queue;
    const resources = resourceOverrides(platform, request);
    const problems = batchFeatureProblems(request, queue, this.deps.defaultShareIdentifier);
    if (problems.length > 0) throw invalidRequestBody(problems);
    const features = batchFeatureInput(request, queue, this.deps.defaultShareIdentifier);
    // Measured before anything is registered, so an oversized request costs no definition; the
    // real ARN is never longer than the one measured.
    const draft = submitJobInput(
      request,
      image,
      resources,
      LONGEST_DEFINITION_ARN,
      this.deps.jobQueue,
      caller,
      features,
    );
    checkPayload(draft);
    // One DescribeJobs for every dependency, only when the request names any (SPEC §15).
    await checkDependencies(this.deps.batch, this.deps.jobQueue, request, (_job, owner) =>
      canRead(owner.tags, caller),
    );
    const access = await this.deps.imageAccess.check(image);
    const definitionInput = this.definitionInput(
      await this.deps.planner.identity(image, access, platform, request.ephemeralStorageGiB),
    );
    const definition = await this.deps.jobDefinitions.ensure(definitionInput);
    const input: SubmitJobCommandInput = { ...draft, jobDefinition: definition.arn };
    const submitted = await callAws(
      () => this.deps.batch.send(new SubmitJobCommand(input)),
      'AWS Batch did not accept the job; the operator can find the cause in the logs.',
    ).catch((error: unknown) => {
      // A remembered definition may have been deregistered since: look it up again next time.
      if (error instanceof HttpError && error.statusCode === 502)
        this.deps.jobDefinitions.forget(definition.name);
      throw error;
    });
    if (!submitted.jobId) {
      throw new HttpError(502, 'Bad Gateway', 'AWS Batch did not return a job id.');
    }
    logger.info('submitted job', {
      jobId: submitted.jobId,
      jobDefinition: definition.arn,
      image: image.normalised,
      caller: caller.principalArn,
    });
    return {
      jobId: submitted.jobId,
      jobName: submitted.jobName ?? input.jobName ?? '',
      jobQueue: this.deps.jobQueue,
      jobDefinition: definition.arn,
      image: image.normalised,
    };
  }

  /** Forgets cached manifest checks, job definitions, the queue's platform and credential lookups. */
  clearCaches(): void {
    this.definitionInputs.clear();
    this.deps.imageAccess.clear();
    this.deps.jobDefinitions.clear();
    this.deps.queue.clear();
    this.deps.planner.clear();
  }
}

function checkPayload(input: SubmitJobCommandInput): void {
  const payloadBytes = Buffer.byteLength(JSON.stringify(input));
  if (payloadBytes > MAX_SUBMIT_JOB_PAYLOAD_BYTES) {
    throw new HttpError(
      400,
      'Bad Request',
      `The job's command, environment and tags make a ${payloadBytes}-byte SubmitJob request; AWS Batch accepts at most ${MAX_SUBMIT_JOB_PAYLOAD_BYTES} bytes.`,
    );
  }
}

function parseImage(input: string): ImageReference {
  let image: ImageReference;
  try {
    image = parseImageReference(input);
  } catch (error) {
    if (!(error instanceof ImageReferenceError)) throw error;
    throw new HttpError(400, 'Bad Request', `The image field is malformed: ${error.message}.`, {
      cause: error,
      errors: [{ path: 'image', message: error.message }],
    });
  }
  if (image.normalised.length > MAX_IMAGE_LENGTH) {
    const message = `must be at most ${MAX_IMAGE_LENGTH} characters once normalised (an AWS Batch limit)`;
    throw new HttpError(400, 'Bad Request', `The image reference ${message}.`, {
      errors: [{ path: 'image', message }],
    });
  }
  return image;
}

/** The SubmitJob request for a validated body (pure); the job is tagged with who submitted and owns it. */
export function submitJobInput(
  request: SubmitJobRequest,
  image: ImageReference,
  resourceRequirements: ResourceRequirement[],
  jobDefinitionArn: string,
  jobQueue: string,
  caller: Caller,
  features: Partial<SubmitJobCommandInput> = {},
): SubmitJobCommandInput {
  const environment: KeyValuePair[] = Object.entries(request.environment ?? {}).map(([name, value]) => ({
    name,
    value,
  }));
  const containerOverrides = {
    ...(request.command && request.command.length > 0 ? { command: request.command } : {}),
    ...(environment.length > 0 ? { environment } : {}),
    ...(resourceRequirements.length > 0 ? { resourceRequirements } : {}),
  };
  return {
    jobName: request.name ?? defaultJobName(image),
    jobQueue,
    jobDefinition: jobDefinitionArn,
    ...(Object.keys(containerOverrides).length > 0 ? { containerOverrides } : {}),
    ...(request.timeoutSeconds !== undefined
      ? { timeout: { attemptDurationSeconds: request.timeoutSeconds } }
      : {}),
    ...(request.retryAttempts !== undefined ? { retryStrategy: { attempts: request.retryAttempts } } : {}),
    ...features,
    tags: {
      ...request.tags,
      [SUBMITTED_BY_TAG_KEY]: callerTagValue(caller.principalArn),
      [OWNER_TAG_KEY]: ownerTagValue(caller.ownerKey),
    },
    propagateTags: true,
  };
}
