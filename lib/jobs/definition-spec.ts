import { createHash } from 'node:crypto';
import type { JobDefinition, RegisterJobDefinitionCommandInput } from '@aws-sdk/client-batch';
import type { ImageReference } from '../registry/reference';
import { jobDefinitionName } from './names';
import type { Platform } from './queue';
import { DEFINITION_MEMORY_MIB, DEFINITION_VCPUS } from './resources';
import { GATEWAY_TAG_PREFIX } from './schema';

/** Tag on every managed job definition. */
export const MANAGED_TAG_KEY = `${GATEWAY_TAG_PREFIX}managed`;

/** Everything that makes one managed job definition differ from another (SPEC §11). */
export interface DefinitionIdentity {
  /** The deployment stage; part of the name, so stages never share definitions. */
  readonly stage: string;
  /** The definition's image (definitionImage): with a digest, without the tag. */
  readonly image: string;
  readonly platform: Platform;
  /** The registry's credential secret (`repositoryCredentials`), when task credentials apply. */
  readonly credentialSecretArn: string | undefined;
  /** Set with a credential secret, and always on Fargate. */
  readonly executionRoleArn: string | undefined;
  readonly jobRoleArn: string | undefined;
  /** Fargate's `networkConfiguration.assignPublicIp`. */
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
}

/** What RegisterJobDefinition is called with; the name is always set. */
export type ManagedDefinitionInput = RegisterJobDefinitionCommandInput & {
  readonly jobDefinitionName: string;
};

/**
 * The image a managed definition runs (pure): the normalised reference, except that with a digest
 * the tag is dropped (`registry/repository@digest`) — the digest alone decides what is pulled, so
 * a new tag per request cannot multiply definitions.
 */
export function definitionImage(image: ImageReference): string {
  return image.digest ? `${image.registry}/${image.repository}@${image.digest}` : image.normalised;
}

/**
 * The exact RegisterJobDefinition input for an identity (pure): EC2 or Fargate capabilities, the
 * definition's 1 vCPU / 2048 MiB, `repositoryCredentials` and `executionRoleArn` as the identity
 * says, Fargate's network and platform configuration, the managed tag, and a name
 * `brg-<stage>-<image>-<hash of all of it>`: any change of identity gives another name.
 */
export function managedJobDefinition(identity: DefinitionIdentity): ManagedDefinitionInput {
  const fargate = identity.platform === 'FARGATE';
  const body: RegisterJobDefinitionCommandInput = {
    jobDefinitionName: undefined,
    type: 'container',
    platformCapabilities: [identity.platform],
    containerProperties: {
      image: identity.image,
      resourceRequirements: [
        { type: 'VCPU', value: String(DEFINITION_VCPUS) },
        { type: 'MEMORY', value: String(DEFINITION_MEMORY_MIB) },
      ],
      ...(identity.jobRoleArn ? { jobRoleArn: identity.jobRoleArn } : {}),
      ...(identity.executionRoleArn ? { executionRoleArn: identity.executionRoleArn } : {}),
      ...(identity.credentialSecretArn
        ? { repositoryCredentials: { credentialsParameter: identity.credentialSecretArn } }
        : {}),
      ...(fargate
        ? {
            networkConfiguration: { assignPublicIp: identity.assignPublicIp },
            fargatePlatformConfiguration: { platformVersion: 'LATEST' },
          }
        : {}),
    },
    tags: { [MANAGED_TAG_KEY]: 'true' },
  };
  const hash = createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
  return { ...body, jobDefinitionName: jobDefinitionName(identity.stage, identity.image, hash) };
}

// Fields Batch fills in when a definition leaves them out; absent and default compare equal.
const DEFAULTS: Readonly<Record<string, unknown>> = {
  containerOrchestrationType: 'ECS',
  platformCapabilities: ['EC2'],
};
const FARGATE_CONTAINER_DEFAULTS: Readonly<Record<string, unknown>> = {
  networkConfiguration: { assignPublicIp: 'DISABLED' },
  fargatePlatformConfiguration: { platformVersion: 'LATEST' },
  runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
  ephemeralStorage: { sizeInGiB: 20 },
};
// Describe-only facts about a revision, not what it runs.
const METADATA = new Set(['jobDefinitionName', 'jobDefinitionArn', 'revision', 'status']);

/**
 * Whether an ACTIVE revision is exactly what the gateway would register (pure): every field of
 * `described` equals `expected`, up to what Batch fills in (empty lists and maps, `false` flags,
 * the documented defaults above) and the order of resource requirements. Anything more — a log
 * driver, ECS Exec, a volume, another role, other tags — and it is not reused (SPEC §11).
 */
export function isExactly(described: JobDefinition, expected: ManagedDefinitionInput): boolean {
  if (described.status !== 'ACTIVE') return false;
  const actual = Object.fromEntries(Object.entries(described).filter(([key]) => !METADATA.has(key)));
  const wanted = Object.fromEntries(Object.entries(expected).filter(([key]) => !METADATA.has(key)));
  return JSON.stringify(canonical(withDefaults(actual))) === JSON.stringify(canonical(withDefaults(wanted)));
}

function withDefaults(definition: Record<string, unknown>): Record<string, unknown> {
  const filled: Record<string, unknown> = { ...DEFAULTS, ...definition };
  const container = definition.containerProperties;
  const fargate = JSON.stringify(filled.platformCapabilities) === JSON.stringify(['FARGATE']);
  if (fargate && typeof container === 'object' && container !== null) {
    filled.containerProperties = { ...FARGATE_CONTAINER_DEFAULTS, ...container };
  }
  return filled;
}

/**
 * A comparable form: object keys sorted; `undefined`, `null`, `false`, empty lists and empty maps
 * dropped; resource requirements ordered by type. Returns undefined for a value that is dropped.
 */
function canonical(value: unknown, key?: string): unknown {
  if (value === undefined || value === null || value === false) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item)).filter((item) => item !== undefined);
    if (items.length === 0) return undefined;
    if (key === 'resourceRequirements') {
      items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return items;
  }
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .flatMap((name) => {
        const item = canonical((value as Record<string, unknown>)[name], name);
        return item === undefined ? [] : [[name, item] as const];
      });
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}
