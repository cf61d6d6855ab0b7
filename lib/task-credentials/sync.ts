import type { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { describeError } from '../errors';
import type { RegistryCredential } from '../registry/secret';
import { mapConcurrently } from './concurrency';
import { listCredentialSecrets } from './list';
import {
  type CredentialSecretStep,
  credentialSecretTags,
  credentialSecretValue,
  credentialVersionToken,
  holdsCredential,
  planCredentialSecrets,
  RECOVERY_WINDOW_DAYS,
  wantedCredentialSecrets,
} from './plan';

/** Registries handled at the same time: well under Secrets Manager's 50-per-second write quotas. */
export const SYNC_CONCURRENCY = 32;

/** What happened to one registry's credential secret. */
export type CredentialSecretOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'updated' }
  | { readonly kind: 'retagged' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'deletion-scheduled' }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

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
 * those scheduled for deletion), then, concurrently per registry, CreateSecret for a missing one
 * (tags and KMS key included), RestoreSecret for one scheduled for deletion, GetSecretValue and
 * PutSecretValue only when the value differs, TagResource when the tags do not name V, and
 * DeleteSecret with a 30-day recovery window for a registry that left. Version tokens derive from
 * V, the registry and the version the write replaces, so a rerun (a retry after a timeout, a
 * second event) makes no second version. Every registry is attempted; throws
 * CredentialSecretSyncError after all of them when any failed. Logs names, never values.
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

  let gate: Promise<string | undefined> | undefined;
  const context: StepContext = {
    client,
    input,
    kmsKeyId: once(input.kmsKeyId),
    superseded: () => {
      gate ??= input.supersededBy?.() ?? Promise.resolve(undefined);
      return gate;
    },
  };
  const settled = await mapConcurrently(steps, SYNC_CONCURRENCY, (step) => {
    if (step.kind === 'delete') return scheduleDeletion(context, step);
    const credential = byRegistry.get(step.registry);
    if (!credential) throw new Error(`no credential for ${step.registry}`);
    return step.kind === 'create' ? create(context, step, credential) : keep(context, step, credential);
  });
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

interface StepContext {
  readonly client: SecretsManagerClient;
  readonly input: CredentialSecretSyncInput;
  readonly kmsKeyId: () => Promise<string | undefined>;
  readonly superseded: () => Promise<string | undefined>;
}

type StepResult = { outcome: CredentialSecretOutcome; restored?: true };

async function create(
  context: StepContext,
  step: Extract<CredentialSecretStep, { kind: 'create' }>,
  credential: RegistryCredential,
): Promise<StepResult> {
  const reason = await context.superseded();
  if (reason) return { outcome: { kind: 'skipped', reason } };
  const { client, input } = context;
  const kmsKeyId = await context.kmsKeyId();
  try {
    await client.send(
      new CreateSecretCommand({
        Name: step.secretName,
        Description: `Credentials for registry ${step.registry}, kept by batch-registry-gateway from the registry secret.`,
        ClientRequestToken: credentialVersionToken(input.sourceVersionId, step.registry, 'created'),
        SecretString: credentialSecretValue(credential),
        Tags: credentialSecretTags(step.registry, input.sourceVersionId),
        ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
      }),
    );
    return { outcome: { kind: 'created' } };
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceExistsException') throw error;
  }
  // A listing that lagged behind (or an earlier run whose response was lost) missed it: keep it.
  const described = await client.send(new DescribeSecretCommand({ SecretId: step.secretName }));
  const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const [planned] = planCredentialSecrets(
    input.prefix,
    [step],
    [
      {
        name: step.secretName,
        arn: described.ARN ?? step.secretName,
        tags,
        scheduledForDeletion: described.DeletedDate !== undefined,
      },
    ],
    input.sourceVersionId,
  );
  if (planned?.kind !== 'keep') throw new Error(`${step.secretName} exists but could not be planned`);
  return keep(context, planned, credential);
}

async function keep(
  context: StepContext,
  step: Extract<CredentialSecretStep, { kind: 'keep' }>,
  credential: RegistryCredential,
): Promise<StepResult> {
  const { client, input } = context;
  let restored: true | undefined;
  if (step.restore) {
    // Secrets Manager refuses reads, values and tags while a secret is scheduled for deletion.
    const reason = await context.superseded();
    if (reason) return { outcome: { kind: 'skipped', reason } };
    await client.send(new RestoreSecretCommand({ SecretId: step.arn }));
    restored = true;
  }
  const current = await readCurrent(client, step.arn);
  const sameValue = holdsCredential(current.value, credential);
  if (sameValue && !step.retag) return { outcome: { kind: 'unchanged' }, ...(restored ? { restored } : {}) };
  const reason = await context.superseded();
  if (reason) return { outcome: { kind: 'skipped', reason }, ...(restored ? { restored } : {}) };
  if (!sameValue) {
    await client.send(
      new PutSecretValueCommand({
        SecretId: step.arn,
        ClientRequestToken: credentialVersionToken(
          input.sourceVersionId,
          step.registry,
          current.versionId ?? 'none',
        ),
        SecretString: credentialSecretValue(credential),
      }),
    );
  }
  if (step.retag || !sameValue) {
    await client.send(
      new TagResourceCommand({
        SecretId: step.arn,
        Tags: credentialSecretTags(step.registry, input.sourceVersionId),
      }),
    );
  }
  return { outcome: { kind: sameValue ? 'retagged' : 'updated' }, ...(restored ? { restored } : {}) };
}

/** AWSCURRENT's value and version id; none when the secret has no current version yet. */
async function readCurrent(
  client: SecretsManagerClient,
  arn: string,
): Promise<{ value?: string; versionId?: string }> {
  try {
    const response = await client.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    return {
      ...(response.SecretString !== undefined ? { value: response.SecretString } : {}),
      ...(response.VersionId !== undefined ? { versionId: response.VersionId } : {}),
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return {};
    throw error;
  }
}

async function scheduleDeletion(
  context: StepContext,
  step: Extract<CredentialSecretStep, { kind: 'delete' }>,
): Promise<StepResult> {
  const reason = await context.superseded();
  if (reason) return { outcome: { kind: 'skipped', reason } };
  await context.client.send(
    new DeleteSecretCommand({ SecretId: step.arn, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }),
  );
  return { outcome: { kind: 'deletion-scheduled' } };
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load();
    return pending;
  };
}
