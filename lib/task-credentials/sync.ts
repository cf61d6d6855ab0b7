import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeError } from '../errors';
import type { RegistryCredential } from '../registry/secret';
import { applyStep, type CredentialSecretOutcome, type StepContext } from './apply-step';
import { mapConcurrently } from './concurrency';
import { listCredentialSecrets } from './list';
import { type CredentialSecretStep, planCredentialSecrets, wantedCredentialSecrets } from './plan';

export type { CredentialSecretOutcome } from './apply-step';

/** Registries handled at the same time: well under Secrets Manager's 50-per-second write quotas. */
export const SYNC_CONCURRENCY = 32;

export interface CredentialSecretResult {
  readonly registry: string;
  readonly secretName: string;
  readonly outcome: CredentialSecretOutcome;
  /** RestoreSecret brought it back from scheduled deletion first. */
  readonly restored?: true;
}

export interface CredentialSecretSyncInput {
  readonly prefix: string;
  /** Secret version V, whose registries the credential secrets follow. */
  readonly sourceVersionId: string;
  readonly credentials: readonly RegistryCredential[];
  /** The KMS key to create credential secrets with (the registry secret's), asked only when creating. */
  readonly kmsKeyId: () => Promise<string | undefined>;
  /**
   * Asked once, before the first write: resolves why V is no longer wanted, or undefined. When it
   * gives a reason, nothing is written and every step that would write is `skipped`.
   */
  readonly supersededBy?: () => Promise<string | undefined>;
}

/** At least one credential secret could not be brought to V; the results say which and why. */
export class CredentialSecretSyncError extends Error {
  override readonly name = 'CredentialSecretSyncError';
  readonly results: readonly CredentialSecretResult[];

  constructor(sourceVersionId: string, results: readonly CredentialSecretResult[]) {
    const failed = results
      .filter((result) => result.outcome.kind === 'failed')
      .map((result) => `${result.registry}: ${'reason' in result.outcome ? result.outcome.reason : ''}`);
    super(
      `Registry credential secrets for secret version ${sourceVersionId} incomplete: ${failed.join('; ')}`,
    );
    this.results = results;
  }
}

type LogSink = Pick<Logger, 'info' | 'warn'>;

/**
 * Keeps one credential secret per registry of V (SPEC §11): ListSecrets under the prefix (with
 * those scheduled for deletion), plans each registry's step (plan.ts), then carries the steps out
 * concurrently (apply-step.ts: create, restore, put the value only when it differs, retag, or
 * schedule the deletion of a registry that left). A rerun (a retry after a timeout, a second
 * event) makes no second version. Every registry is attempted; throws CredentialSecretSyncError
 * after all of them when any failed. Logs one line with names and outcomes, never values.
 */
export async function syncCredentialSecrets(
  client: SecretsManagerClient,
  logger: LogSink,
  input: CredentialSecretSyncInput,
): Promise<CredentialSecretResult[]> {
  const byRegistry = new Map(input.credentials.map((credential) => [credential.registry.name, credential]));
  const wanted = wantedCredentialSecrets(input.prefix, [...byRegistry.keys()]);
  const found = await listCredentialSecrets(client, input.prefix);
  const steps = planCredentialSecrets(input.prefix, wanted, found, input.sourceVersionId);

  const context: StepContext = {
    client,
    prefix: input.prefix,
    sourceVersionId: input.sourceVersionId,
    kmsKeyId: once(input.kmsKeyId),
    superseded: once(() => input.supersededBy?.() ?? Promise.resolve(undefined)),
  };
  const settled = await mapConcurrently(steps, SYNC_CONCURRENCY, (step) =>
    applyStep(context, step, byRegistry),
  );
  const results: CredentialSecretResult[] = settled.map((result, index) => {
    const step = steps[index] as CredentialSecretStep;
    const base = { registry: step.registry, secretName: step.secretName };
    return result.status === 'fulfilled'
      ? { ...base, ...result.value }
      : { ...base, outcome: { kind: 'failed', reason: describeError(result.reason) } };
  });
  logger.info('registry credential secrets', {
    secretVersionId: input.sourceVersionId,
    credentialSecrets: results.map((result) => ({
      registry: result.registry,
      secretName: result.secretName,
      ...(result.restored ? { restored: true } : {}),
      ...result.outcome,
    })),
  });
  if (results.some((result) => result.outcome.kind === 'failed')) {
    throw new CredentialSecretSyncError(input.sourceVersionId, results);
  }
  return results;
}

/** `load`, called at most once; every caller shares its promise. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load();
    return pending;
  };
}
