import {
  type FoundCredentialSecret,
  madeFor,
  REGISTRY_TAG,
  SOURCE_VERSION_TAG,
} from '../task-credentials/plan';

/** The registry credential secrets (SPEC §11) by the secret version their tags name. */
export interface CredentialSecretCounts {
  /** Those whose `batch-registry-gateway:source-version` tag names AWSCURRENT's version. */
  readonly current: number;
  /** The names of the others: a rollout of AWSCURRENT's version has not written them yet. */
  readonly stale: readonly string[];
}

/**
 * Counts the credential secrets jobs read their registry credentials from (pure): the ones this
 * service made (the registry tag names a registry whose encoded name is the secret's name), not
 * scheduled for deletion. The rollout writes the source-version tag after the value, so a tag
 * naming AWSCURRENT's version means the value is that version's; any other tag (or none) is stale.
 */
export function countCredentialSecrets(
  prefix: string,
  found: readonly FoundCredentialSecret[],
  currentVersionId: string,
): CredentialSecretCounts {
  const kept = found.filter((secret) => {
    const registry = secret.tags[REGISTRY_TAG];
    return !secret.scheduledForDeletion && registry !== undefined && madeFor(prefix, registry, secret.name);
  });
  const stale = kept.filter((secret) => secret.tags[SOURCE_VERSION_TAG] !== currentVersionId);
  return { current: kept.length - stale.length, stale: stale.map((secret) => secret.name).sort() };
}
