import { readFileSync } from 'node:fs';
import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { RegistryError } from '../registry/client';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from '../registry/secret';
import { readRegistrySecret } from '../registry/secret-store';
import { describeComputeEnvironments } from '../rollout/compute-environments';
import type { CredentialVerifier } from '../rollout/credentials';
import type { CliClients, StackRefs } from './context';
import { type CommandResult, section, table } from './output';

/** Instance credentials (SPEC §9): what `check` says when EC2 compute environments are configured with instance credentials on. */
export const INSTANCE_CREDENTIALS_NOTE =
  'Instance credentials (instanceCredentials=true, the default): a job runs in host network mode and can reach the instance role through the instance metadata service, and so can read the registry secret. Deploy with instanceCredentials=false to keep the secret from jobs; registries are then reached only through per-task credentials.';

/** Fargate (SPEC §11): what `check` says for a Fargate compute environment. */
export const FARGATE_NETWORK_NOTE =
  'Fargate with assignPublicIp DISABLED (the default): the subnets of %s need a NAT gateway or VPC endpoints (Secrets Manager, CloudWatch Logs) and a route to every registry, or jobs cannot pull their images.';

/** Reads and validates a local secret file; the error names the rule, never a value. */
export function readSecretFile(file: string): RegistryCredential[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretFormatError(
      `cannot read ${file} (${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'})`,
    );
  }
  try {
    return parseRegistrySecret(text);
  } catch (error) {
    if (error instanceof SecretFormatError)
      throw new SecretFormatError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function notesFor(described: readonly ComputeEnvironmentDetail[], instanceCredentials: boolean): string[] {
  const notes: string[] = [];
  const fargate = described.filter((ce) => ce.computeResources?.type?.startsWith('FARGATE'));
  // In the hardened mode the instance role cannot read the secret: nothing to warn about.
  if (instanceCredentials && described.length > fargate.length) notes.push(INSTANCE_CREDENTIALS_NOTE);
  if (fargate.length > 0) {
    notes.push(FARGATE_NETWORK_NOTE.replace('%s', fargate.map((ce) => ce.computeEnvironmentName).join(', ')));
  }
  return notes;
}

/**
 * `check [--file F]` (SPEC §12): logs in to every registry of AWSCURRENT (or of a local file) with
 * the same registry client and login the rollout uses, and reports each registry's result. A
 * registry that refuses, or cannot be reached, is a problem (exit 1). Never prints a credential.
 */
export async function check(
  clients: CliClients,
  refs: StackRefs,
  verifier: CredentialVerifier,
  file: string | undefined,
): Promise<CommandResult> {
  const [source, credentials] = file
    ? [file, readSecretFile(file)]
    : await readRegistrySecret(clients.secretsManager, refs.secretArn, { versionStage: 'AWSCURRENT' }).then(
        (secret) => [`AWSCURRENT (${secret.versionId})`, secret.credentials] as const,
      );
  const [settled, described] = await Promise.all([
    Promise.allSettled(
      credentials.map((credential) =>
        verifier.login(credential.registry, { username: credential.username, password: credential.password }),
      ),
    ),
    refs.computeEnvironments.length > 0
      ? describeComputeEnvironments(clients.batch, refs.computeEnvironments)
      : Promise.resolve([]),
  ]);
  const registries = settled.map((result, index) => {
    const registry = credentials[index]?.registry.name ?? `entry ${index + 1}`;
    if (result.status === 'fulfilled') return { registry, ok: true, status: null, reason: null };
    const error: unknown = result.reason;
    return error instanceof RegistryError
      ? { registry, ok: false, status: error.status ?? null, reason: error.kind }
      : { registry, ok: false, status: null, reason: error instanceof Error ? error.name : 'unknown error' };
  });
  const problems = registries
    .filter((entry) => !entry.ok)
    .map(
      (entry) =>
        `${entry.registry}: login failed (${entry.status === null ? entry.reason : `HTTP ${entry.status}, ${entry.reason}`})`,
    );
  const notes = notesFor(described, refs.instanceCredentials);
  const text = [
    section(
      `Registry logins with ${source}`,
      table(
        ['registry', 'result'],
        registries.map((entry) => [
          entry.registry,
          entry.ok ? 'ok' : `failed: ${entry.status ?? ''} ${entry.reason}`.replace(':  ', ': '),
        ]),
      ),
    ),
    ...notes.map((note) => `Note: ${note}`),
  ].join('\n\n');
  return { data: { source, registries, notes }, text, problems };
}
