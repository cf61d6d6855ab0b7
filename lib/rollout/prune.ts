import type { LaunchTemplateVersionInfo } from './launch-template';

export interface PruneInput {
  /** Every version of the launch template. */
  readonly versions: readonly LaunchTemplateVersionInfo[];
  /** How many of the newest versions to keep (KEEP_LAUNCH_TEMPLATE_VERSIONS). */
  readonly keep: number;
  /** The version this rollout published. */
  readonly rolledOut: number;
  /** Versions compute environments use: numbers as strings, `$Default`, `$Latest`. */
  readonly inUse: ReadonlySet<string>;
}

/** Whether a compute environment names a version symbolically (`$Default`, `$Latest`). */
export function usesSymbolicVersion(inUse: ReadonlySet<string>): boolean {
  return [...inUse].some((used) => !/^\d+$/.test(used));
}

/**
 * The versions to delete, oldest first (pure): every version older than the newest `keep`,
 * except the default version, the latest, the one just rolled out, and any a compute environment
 * uses. Never more than that: a version that is protected for any reason stays. Nothing at all
 * while a compute environment names `$Default` or `$Latest`: Batch resolves those only when the
 * environment is created or updated, so the version its instances launch from is unknown.
 */
export function planPrune(input: PruneInput): number[] {
  if (usesSymbolicVersion(input.inUse)) return [];
  const newestFirst = [...input.versions].sort((a, b) => b.versionNumber - a.versionNumber);
  const protectedVersions = new Set<number>([input.rolledOut]);
  const latest = newestFirst[0];
  if (latest) protectedVersions.add(latest.versionNumber);
  for (const version of newestFirst) if (version.isDefault) protectedVersions.add(version.versionNumber);
  for (const used of input.inUse) if (/^\d+$/.test(used)) protectedVersions.add(Number(used));
  return newestFirst
    .slice(Math.max(input.keep, 0))
    .map((version) => version.versionNumber)
    .filter((versionNumber) => !protectedVersions.has(versionNumber))
    .sort((a, b) => a - b);
}
