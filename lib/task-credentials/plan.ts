import { createHash } from 'node:crypto';
import { registryCredentialSecretName } from './secret-name';

/** Tag keys of a registry credential secret (SPEC §11). */
export const REGISTRY_TAG = 'batch-registry-gateway:registry';
export const SOURCE_VERSION_TAG = 'batch-registry-gateway:source-version';

/** Days Secrets Manager keeps a credential secret of a registry that left the secret. */
export const RECOVERY_WINDOW_DAYS = 30;

/** One registry of secret version V, as its credential secret should hold it. */
export interface WantedCredentialSecret {
  /** Normalised registry name (`docker.io` for Docker Hub). */
  readonly registry: string;
  readonly secretName: string;
}

/** A secret found under the prefix (ListSecrets), as far as the plan needs it. */
export interface FoundCredentialSecret {
  readonly name: string;
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Secrets Manager's DeletedDate is set: scheduled for deletion. */
  readonly scheduledForDeletion: boolean;
}

/** What to do with one credential secret. The value comparison of `keep` happens on the way. */
export type CredentialSecretStep =
  | { readonly kind: 'create'; readonly registry: string; readonly secretName: string }
  | {
      readonly kind: 'keep';
      readonly registry: string;
      readonly secretName: string;
      readonly arn: string;
      /** Scheduled for deletion: RestoreSecret first (Secrets Manager refuses reads and writes until then). */
      readonly restore: boolean;
      /** The tags do not say this registry and V yet. */
      readonly retag: boolean;
    }
  | { readonly kind: 'delete'; readonly registry: string; readonly secretName: string; readonly arn: string };

/** The credential secret names of V's registries (throws RangeError past Secrets Manager's limit). */
export function wantedCredentialSecrets(
  prefix: string,
  registries: readonly string[],
): WantedCredentialSecret[] {
  return registries.map((registry) => ({
    registry,
    secretName: registryCredentialSecretName(prefix, registry),
  }));
}

/**
 * Plans the credential secrets for secret version `sourceVersionId` (pure): creates the missing,
 * keeps (restoring and retagging as needed) the present, and deletes those whose registry left.
 * Only a secret this service made is ever deleted: its registry tag names a registry whose
 * encoded name is exactly the secret's name; one already scheduled for deletion is left as it is.
 */
export function planCredentialSecrets(
  prefix: string,
  wanted: readonly WantedCredentialSecret[],
  found: readonly FoundCredentialSecret[],
  sourceVersionId: string,
): CredentialSecretStep[] {
  const byName = new Map(found.filter((secret) => secret.name.startsWith(prefix)).map((s) => [s.name, s]));
  const steps: CredentialSecretStep[] = wanted.map(({ registry, secretName }) => {
    const existing = byName.get(secretName);
    if (!existing) return { kind: 'create', registry, secretName };
    return {
      kind: 'keep',
      registry,
      secretName,
      arn: existing.arn,
      restore: existing.scheduledForDeletion,
      retag:
        existing.tags[REGISTRY_TAG] !== registry || existing.tags[SOURCE_VERSION_TAG] !== sourceVersionId,
    };
  });
  const wantedNames = new Set(wanted.map((secret) => secret.secretName));
  for (const secret of byName.values()) {
    const registry = secret.tags[REGISTRY_TAG];
    if (wantedNames.has(secret.name) || secret.scheduledForDeletion || registry === undefined) continue;
    if (!madeFor(prefix, registry, secret.name)) continue;
    steps.push({ kind: 'delete', registry, secretName: secret.name, arn: secret.arn });
  }
  return steps;
}

/** Whether `name` is the credential secret this service names for `registry` under the prefix. */
export function madeFor(prefix: string, registry: string, name: string): boolean {
  try {
    return registryCredentialSecretName(prefix, registry) === name;
  } catch {
    return false;
  }
}

/** The tags a credential secret carries after a rollout of `sourceVersionId`. */
export function credentialSecretTags(
  registry: string,
  sourceVersionId: string,
): Array<{ Key: string; Value: string }> {
  return [
    { Key: REGISTRY_TAG, Value: registry },
    { Key: SOURCE_VERSION_TAG, Value: sourceVersionId },
  ];
}

/**
 * The ClientRequestToken of a credential secret version written for V: derived from V, the
 * registry and the version the write replaces (`basis`: its version id, or `created`) — never
 * from the value. A rerun of the same rollout against the same state sends the same token, so
 * Secrets Manager makes no second version; a value changed by someone else in between gets a
 * new token and is overwritten.
 */
export function credentialVersionToken(sourceVersionId: string, registry: string, basis: string): string {
  const hex = createHash('sha256').update(`${sourceVersionId}\n${registry}\n${basis}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The value a credential secret holds: exactly `{"username","password"}`, the shape Batch's
 * `repositoryCredentials` reads.
 */
export function credentialSecretValue(credential: { username: string; password: string }): string {
  return JSON.stringify({ username: credential.username, password: credential.password });
}

/** Whether a stored value already is exactly `credential` (any other shape counts as different). */
export function holdsCredential(
  stored: string | undefined,
  credential: { username: string; password: string },
): boolean {
  if (stored === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
    const record = parsed as Record<string, unknown>;
    return (
      Object.keys(record).length === 2 &&
      record.username === credential.username &&
      record.password === credential.password
    );
  } catch {
    return false;
  }
}
