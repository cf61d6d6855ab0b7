import type { CredentialSecretCounts } from './credential-secrets';

/** The ECS container instance attribute the boot script sets to the secret version it loaded (SPEC §12). */
export const SECRET_VERSION_ATTRIBUTE = 'batch-registry-gateway.secret-version';

/** One `batch-registry-gateway.secret-version` attribute, as ListAttributes returns it. */
export interface VersionAttribute {
  /** The container instance: its ARN or its id. */
  readonly targetId: string;
  readonly value: string | undefined;
}

/** The instances of one compute environment by the secret version they loaded. */
export interface ComputeEnvironmentCounts {
  readonly name: string;
  /** On AWSCURRENT's version. */
  readonly current: number;
  /** On another version. */
  readonly stale: number;
  /** Without the attribute (booted from older user data, or still registering). */
  readonly unknown: number;
  /** Instances per secret version id. */
  readonly versions: Readonly<Record<string, number>>;
}

/** A configured compute environment that was not counted, and why. */
export interface UncountedComputeEnvironment {
  readonly name: string;
  readonly reason: string;
}

/** The fleet's counts, totals over the compute environments. */
export interface FleetCounts {
  readonly secretArn: string;
  readonly secretVersionId: string;
  /**
   * Instances read the registry secret at boot (INSTANCE_CREDENTIALS). When false (the hardened
   * mode) no instance holds registry credentials: none is counted, and instances never block
   * convergence.
   */
  readonly instanceCredentials: boolean;
  /** The counted compute environments. */
  readonly computeEnvironments: readonly ComputeEnvironmentCounts[];
  /** Compute environments whose instances hold no registry credentials (Fargate, EKS, instance credentials off). */
  readonly notApplicable: readonly UncountedComputeEnvironment[];
  /** Compute environments that could not be counted (missing, no cluster yet). */
  readonly skipped: readonly UncountedComputeEnvironment[];
  readonly instances: number;
  readonly current: number;
  readonly stale: number;
  readonly unknown: number;
  /** With task credentials (TASK_CREDENTIALS): the registry credential secrets by version. */
  readonly credentialSecrets?: CredentialSecretCounts;
  /**
   * Every counted instance is current (zero instances included) and, with task credentials, every
   * registry credential secret carries AWSCURRENT's version: old credentials may be revoked.
   */
  readonly converged: boolean;
}

/** A container instance's id: the last segment of its ARN, or the id itself. */
function instanceId(arnOrId: string): string {
  return arnOrId.slice(arnOrId.lastIndexOf('/') + 1);
}

/**
 * Counts one compute environment's instances (pure). Only attributes of listed (ACTIVE or
 * DRAINING) instances count, so an attribute left on a deregistered instance, or one of another
 * cluster, changes nothing; listed instances without the attribute are unknown.
 */
export function countComputeEnvironment(
  name: string,
  instanceArns: readonly string[],
  attributes: readonly VersionAttribute[],
  currentVersionId: string,
): ComputeEnvironmentCounts {
  const listed = new Set(instanceArns.map(instanceId));
  const versionOf = new Map<string, string>();
  for (const attribute of attributes) {
    const id = instanceId(attribute.targetId);
    if (listed.has(id) && attribute.value) versionOf.set(id, attribute.value);
  }
  const versions: Record<string, number> = {};
  for (const version of versionOf.values()) versions[version] = (versions[version] ?? 0) + 1;
  const current = versions[currentVersionId] ?? 0;
  return {
    name,
    current,
    stale: versionOf.size - current,
    unknown: listed.size - versionOf.size,
    versions,
  };
}

/** What summariseFleet totals: the counted compute environments and what was left out. */
export type FleetParts = Omit<FleetCounts, 'instances' | 'current' | 'stale' | 'unknown' | 'converged'>;

/**
 * Totals over compute environments (pure); converged when no counted instance is stale or
 * unknown and no registry credential secret is stale.
 */
export function summariseFleet(parts: FleetParts): FleetCounts {
  const sum = (pick: (counts: ComputeEnvironmentCounts) => number) =>
    parts.computeEnvironments.reduce((total, counts) => total + pick(counts), 0);
  const current = sum((counts) => counts.current);
  const stale = sum((counts) => counts.stale);
  const unknown = sum((counts) => counts.unknown);
  return {
    ...parts,
    instances: current + stale + unknown,
    current,
    stale,
    unknown,
    converged: stale === 0 && unknown === 0 && (parts.credentialSecrets?.stale.length ?? 0) === 0,
  };
}
