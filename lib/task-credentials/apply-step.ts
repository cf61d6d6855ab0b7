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
import type { RegistryCredential } from '../registry/secret';
import {
  type CredentialSecretStep,
  credentialSecretTags,
  credentialSecretValue,
  credentialVersionToken,
  holdsCredential,
  planCredentialSecrets,
  RECOVERY_WINDOW_DAYS,
} from './plan';

/** What happened to one registry's credential secret. */
export type CredentialSecretOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'updated' }
  | { readonly kind: 'retagged' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'deletion-scheduled' }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** What one step did: its outcome, and whether RestoreSecret brought the secret back first. */
export interface StepResult {
  readonly outcome: CredentialSecretOutcome;
  readonly restored?: true;
}

/** What the steps of one sync share. */
export interface StepContext {
  readonly client: SecretsManagerClient;
  readonly prefix: string;
  /** Secret version V, which the version tokens and the source-version tag name. */
  readonly sourceVersionId: string;
  /** The KMS key to create credential secrets with, loaded at most once per sync. */
  readonly kmsKeyId: () => Promise<string | undefined>;
  /** Why V is no longer wanted, or undefined; asked before a step's first write, answered once per sync. */
  readonly superseded: () => Promise<string | undefined>;
}

/**
 * Carries out one planned step against Secrets Manager (SPEC §11): CreateSecret for a missing
 * credential secret (tags and KMS key included; one that exists after all is kept instead),
 * RestoreSecret for one scheduled for deletion, GetSecretValue and PutSecretValue only when the
 * value differs, TagResource when the tags do not name V, DeleteSecret with a 30-day recovery
 * window for a registry that left. A superseded V writes nothing: the step is `skipped`. Version
 * tokens derive from V, the registry and the version the write replaces, so a rerun makes no second
 * version. Throws the SDK's error when a call fails, and Error when a registry to keep or create
 * has no credential.
 */
export async function applyStep(
  context: StepContext,
  step: CredentialSecretStep,
  credentials: ReadonlyMap<string, RegistryCredential>,
): Promise<StepResult> {
  if (step.kind === 'delete') return scheduleDeletion(context, step);
  const credential = credentials.get(step.registry);
  if (!credential) throw new Error(`no credential for ${step.registry}`);
  return step.kind === 'create' ? create(context, step, credential) : keep(context, step, credential);
}

async function create(
  context: StepContext,
  step: Extract<CredentialSecretStep, { kind: 'create' }>,
  credential: RegistryCredential,
): Promise<StepResult> {
  const reason = await context.superseded();
  if (reason) return { outcome: { kind: 'skipped', reason } };
  const { client } = context;
  const kmsKeyId = await context.kmsKeyId();
  try {
    await client.send(
      new CreateSecretCommand({
        Name: step.secretName,
        Description: `Credentials for registry ${step.registry}, kept by batch-registry-gateway from the registry secret.`,
        ClientRequestToken: credentialVersionToken(context.sourceVersionId, step.registry, 'created'),
        SecretString: credentialSecretValue(credential),
        Tags: credentialSecretTags(step.registry, context.sourceVersionId),
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
    context.prefix,
    [step],
    [
      {
        name: step.secretName,
        arn: described.ARN ?? step.secretName,
        tags,
        scheduledForDeletion: described.DeletedDate !== undefined,
      },
    ],
    context.sourceVersionId,
  );
  if (planned?.kind !== 'keep') throw new Error(`${step.secretName} exists but could not be planned`);
  return keep(context, planned, credential);
}

async function keep(
  context: StepContext,
  step: Extract<CredentialSecretStep, { kind: 'keep' }>,
  credential: RegistryCredential,
): Promise<StepResult> {
  const { client } = context;
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
          context.sourceVersionId,
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
        Tags: credentialSecretTags(step.registry, context.sourceVersionId),
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
