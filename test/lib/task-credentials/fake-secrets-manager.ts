import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  type SecretsManagerClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AwsStub } from 'aws-sdk-client-mock';

const ACCOUNT = '123456789012';
const meta = { httpStatusCode: 400, requestId: 'c0ffee00-0000-4000-8000-000000000000' };

/**
 * An injected fault for one call: `reject` fails before the service acts (throttled);
 * `lose-response` lets the service act, then fails (a dropped connection, a Lambda timeout while
 * the answer was on its way); `hang` never answers (the Lambda times out), after acting or not.
 */
export type SecretsFault =
  | { readonly kind: 'reject'; readonly error: Error }
  | { readonly kind: 'lose-response'; readonly error: Error }
  | { readonly kind: 'hang'; readonly afterEffect: boolean };

export interface FakeSecret {
  readonly name: string;
  readonly arn: string;
  readonly versions: Map<string, string>;
  current: string | undefined;
  tags: Map<string, string>;
  deletedDate: Date | undefined;
  kmsKeyId: string | undefined;
}

type SecretsStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>;

/**
 * Secrets Manager as far as the credential secret sync uses it, with the API reference's shapes
 * and error names: names and ARNs (six-character suffix), versions with AWSCURRENT, tags, scheduled
 * deletion (reads and writes refused until RestoreSecret), ClientRequestToken idempotency (the
 * same token and value is ignored, the same token with another value is ResourceExistsException),
 * ListSecrets' name-prefix filter, IncludePlannedDeletion and paging. Calls for any other secret go
 * to `fallback` (the registry secret of the rollout fakes).
 */
export class FakeSecretsManager {
  readonly secrets = new Map<string, FakeSecret>();
  /** Every call it answered, by the API's name, with the SecretId or Name. */
  readonly calls: Array<{ api: string; secretId: string }> = [];
  pageSize = 100;
  /** ListSecrets answers from before these names existed (eventual consistency). */
  readonly unlisted = new Set<string>();
  private counter = 0;
  private readonly faults: Array<{ api: string; name: string | undefined; fault: SecretsFault }> = [];

  /** Queues a fault for the next call of `api` (on the secret named `name`, when given). */
  inject(api: string, fault: SecretsFault, name?: string): void {
    this.faults.push({ api, name, fault });
  }

  install(stub: SecretsStub, fallback?: (api: string, input: Record<string, unknown>) => unknown): void {
    const route =
      (api: string, handle: (input: Record<string, unknown>) => unknown) =>
      (input: Record<string, unknown>) => {
        const id = String(input.SecretId ?? input.Name ?? '');
        if (api !== 'ListSecrets' && api !== 'CreateSecret' && !this.find(id) && fallback) {
          return fallback(api, input);
        }
        this.calls.push({ api, secretId: id });
        const name = api === 'ListSecrets' ? undefined : (this.find(id)?.name ?? id);
        const index = this.faults.findIndex(
          (queued) => queued.api === api && (queued.name === undefined || queued.name === name),
        );
        const queued = index >= 0 ? this.faults.splice(index, 1)[0]?.fault : undefined;
        if (!queued) return handle(input);
        if (queued.kind === 'reject') throw queued.error;
        if (queued.kind === 'lose-response') {
          handle(input);
          throw queued.error;
        }
        if (queued.afterEffect) handle(input);
        return new Promise(() => undefined);
      };
    stub.on(ListSecretsCommand).callsFake(route('ListSecrets', (input) => this.list(input)));
    stub.on(CreateSecretCommand).callsFake(route('CreateSecret', (input) => this.create(input)));
    stub.on(GetSecretValueCommand).callsFake(route('GetSecretValue', (input) => this.get(input)));
    stub.on(PutSecretValueCommand).callsFake(route('PutSecretValue', (input) => this.put(input)));
    stub.on(TagResourceCommand).callsFake(route('TagResource', (input) => this.tag(input)));
    stub.on(DeleteSecretCommand).callsFake(route('DeleteSecret', (input) => this.delete(input)));
    stub.on(RestoreSecretCommand).callsFake(route('RestoreSecret', (input) => this.restore(input)));
    stub.on(DescribeSecretCommand).callsFake(route('DescribeSecret', (input) => this.describe(input)));
  }

  /** Seeds a secret as if created earlier. */
  seed(name: string, value: string | undefined, tags: Record<string, string> = {}): FakeSecret {
    const secret = this.make(name, undefined);
    if (value !== undefined) {
      this.counter += 1;
      const versionId = `seed-version-${this.counter}-0000000000000000000000000`;
      secret.versions.set(versionId, value);
      secret.current = versionId;
    }
    secret.tags = new Map(Object.entries(tags));
    return secret;
  }

  currentValue(name: string): string | undefined {
    const secret = this.find(name);
    return secret?.current ? secret.versions.get(secret.current) : undefined;
  }

  count(api: string): number {
    return this.calls.filter((call) => call.api === api).length;
  }

  find(id: string): FakeSecret | undefined {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((secret) => secret.arn === id);
  }

  private make(name: string, kmsKeyId: string | undefined): FakeSecret {
    this.counter += 1;
    const suffix = `Ab${String(this.counter).padStart(4, '0')}`;
    const secret: FakeSecret = {
      name,
      arn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}-${suffix}`,
      versions: new Map(),
      current: undefined,
      tags: new Map(),
      deletedDate: undefined,
      kmsKeyId,
    };
    this.secrets.set(name, secret);
    return secret;
  }

  private must(id: string, { deletedOk = false } = {}): FakeSecret {
    const secret = this.find(id);
    if (!secret) {
      throw new ResourceNotFoundException({
        $metadata: meta,
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    if (secret.deletedDate && !deletedOk) {
      throw new InvalidRequestException({
        $metadata: meta,
        message: "You can't perform this operation on the secret because it was marked for deletion.",
      });
    }
    return secret;
  }

  private list(input: Record<string, unknown>) {
    const filters = (input.Filters ?? []) as Array<{ Key: string; Values: string[] }>;
    const prefixes = filters.filter((filter) => filter.Key === 'name').flatMap((filter) => filter.Values);
    const all = [...this.secrets.values()]
      .filter((secret) => input.IncludePlannedDeletion === true || !secret.deletedDate)
      .filter((secret) => !this.unlisted.has(secret.name))
      .filter((secret) => prefixes.every((prefix) => secret.name.startsWith(prefix)));
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(Number(input.MaxResults ?? 100), this.pageSize);
    const page = all.slice(start, start + size);
    return {
      SecretList: page.map((secret) => ({
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
        Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
        ...(secret.deletedDate ? { DeletedDate: secret.deletedDate } : {}),
        SecretVersionsToStages: secret.current ? { [secret.current]: ['AWSCURRENT'] } : {},
        CreatedDate: new Date('2026-01-01T00:00:00Z'),
      })),
      ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
    };
  }

  private create(input: Record<string, unknown>) {
    const name = String(input.Name);
    const existing = this.secrets.get(name);
    if (existing?.deletedDate) {
      throw new InvalidRequestException({
        $metadata: meta,
        message:
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
      });
    }
    if (existing) {
      throw new ResourceExistsException({
        $metadata: meta,
        message: `The operation failed because the secret ${name} already exists.`,
      });
    }
    const secret = this.make(name, input.KmsKeyId as string | undefined);
    const versionId = String(input.ClientRequestToken);
    secret.versions.set(versionId, String(input.SecretString));
    secret.current = versionId;
    for (const tag of (input.Tags ?? []) as Array<{ Key: string; Value: string }>)
      secret.tags.set(tag.Key, tag.Value);
    return { ARN: secret.arn, Name: name, VersionId: versionId };
  }

  private get(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId));
    const versionId = input.VersionId ? String(input.VersionId) : secret.current;
    const value = versionId ? secret.versions.get(versionId) : undefined;
    if (!versionId || value === undefined) {
      throw new ResourceNotFoundException({
        $metadata: meta,
        message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      });
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      SecretString: value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date(),
    };
  }

  private put(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId));
    const versionId = String(input.ClientRequestToken);
    const value = String(input.SecretString);
    const existing = secret.versions.get(versionId);
    if (existing !== undefined && existing !== value) {
      throw new ResourceExistsException({
        $metadata: meta,
        message: "You can't modify an existing version, you can only create a new version.",
      });
    }
    if (existing === undefined) {
      secret.versions.set(versionId, value);
      secret.current = versionId;
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] };
  }

  private tag(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId));
    for (const tag of (input.Tags ?? []) as Array<{ Key: string; Value: string }>)
      secret.tags.set(tag.Key, tag.Value);
    return {};
  }

  private delete(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId));
    const days = Number(input.RecoveryWindowInDays ?? 30);
    secret.deletedDate = new Date(Date.UTC(2026, 0, 1) + days * 86_400_000);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate };
  }

  private restore(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId), { deletedOk: true });
    secret.deletedDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  private describe(input: Record<string, unknown>) {
    const secret = this.must(String(input.SecretId), { deletedOk: true });
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
      ...(secret.deletedDate ? { DeletedDate: secret.deletedDate } : {}),
      VersionIdsToStages: secret.current ? { [secret.current]: ['AWSCURRENT'] } : {},
    };
  }
}
