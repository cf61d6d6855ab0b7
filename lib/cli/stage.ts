import { readFileSync } from 'node:fs';
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { readSecretFile } from './check';
import { type CliClients, StackError, type StackRefs } from './context';
import type { CommandResult } from './output';

/**
 * `stage --file F` (SPEC §6, §12): validates F as a registry secret, puts it into the staging
 * secret (PutSecretValue) and starts the rotation of the registry secret (RotateSecret), whose
 * createSecret copies the staged value. Prints the rotation's version id, never a value.
 */
export async function stage(clients: CliClients, refs: StackRefs, file: string): Promise<CommandResult> {
  const credentials = readSecretFile(file);
  if (!refs.stagingSecretArn) {
    throw new StackError(`Stack ${refs.name} names no staging secret (output RegistryStagingSecretArn).`);
  }
  const staged = await clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: refs.stagingSecretArn, SecretString: readFileSync(file, 'utf8') }),
  );
  const rotation = await clients.secretsManager.send(new RotateSecretCommand({ SecretId: refs.secretArn }));
  const data = {
    stagingSecretArn: refs.stagingSecretArn,
    stagedVersionId: staged.VersionId ?? null,
    registries: credentials.map((credential) => credential.registry.name),
    secretArn: refs.secretArn,
    rotationVersionId: rotation.VersionId ?? null,
  };
  const text = [
    `Staged credentials for ${data.registries.join(', ')} in ${data.stagingSecretArn} (version ${data.stagedVersionId}).`,
    `Rotation of ${data.secretArn} started: version ${data.rotationVersionId}.`,
    'Follow it with: batch-registry-gateway status',
  ].join('\n');
  return { data, text, problems: [] };
}
