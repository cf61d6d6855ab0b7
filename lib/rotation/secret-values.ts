import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseRegistrySecret, SecretFormatError } from '../registry/secret';

/**
 * The SecretString of one version (GetSecretValue by VersionId and/or VersionStage), or undefined
 * when the version has no value: Secrets Manager answers ResourceNotFoundException for a version
 * that RotateSecret created (it carries no value until PutSecretValue fills it) and for a secret
 * that never had one. Other AWS errors pass through.
 */
export async function readSecretString(
  client: SecretsManagerClient,
  secretId: string,
  version: { readonly versionId?: string; readonly versionStage?: string },
): Promise<string | undefined> {
  try {
    const response = await client.send(
      new GetSecretValueCommand({
        SecretId: secretId,
        ...(version.versionId !== undefined ? { VersionId: version.versionId } : {}),
        ...(version.versionStage !== undefined ? { VersionStage: version.versionStage } : {}),
      }),
    );
    return response.SecretString === '' ? undefined : response.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** One canonical text for a registry secret's credentials, independent of form and key order. */
function canonical(secretString: string): string {
  try {
    return JSON.stringify(
      parseRegistrySecret(secretString)
        .map((credential) => [credential.registry.name, credential.username, credential.password])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    return secretString;
  }
}

/**
 * Whether two secret values hold the same credentials for the same registries (pure): the same
 * text, or either form of SPEC §3 naming the same registries, usernames and passwords.
 */
export function sameCredentials(a: string, b: string): boolean {
  return a === b || canonical(a) === canonical(b);
}
