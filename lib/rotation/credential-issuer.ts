import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from '../registry/secret';

/** The pending version createSecret must make sure of. */
export interface PendingVersion {
  /** Full ARN of the secret. */
  readonly secretArn: string;
  /** The rotation's ClientRequestToken: the pending version's id. */
  readonly token: string;
  /** Present when Secrets Manager passed one (cross-account rotation); required by PutSecretValue then. */
  readonly rotationToken?: string | undefined;
}

/**
 * Where new registry credentials come from in a rotation. `ensurePending` makes sure the version
 * `token` holds a valid value labelled AWSPENDING and returns its credentials; it is safe to call
 * again for the same token. An issuer that mints credentials (a registry's token API) would put
 * them with PutSecretValue here.
 */
export interface CredentialIssuer {
  ensurePending(pending: PendingVersion): Promise<readonly RegistryCredential[]>;
}

/** Nothing is staged under the rotation's token; the message says how to stage a value. */
export class NothingStagedError extends Error {
  override readonly name = 'NothingStagedError';
}

/** The staged value is not a valid registry secret; the message names the rule, never a value. */
export class StagedValueError extends Error {
  override readonly name = 'StagedValueError';
}

/** The operator's command that stages a value under the rotation's token (AWS CLI v2). */
export function stagingCommand(secretArn: string, token: string): string {
  return [
    'aws secretsmanager put-secret-value',
    `--secret-id ${secretArn}`,
    `--client-request-token ${token}`,
    '--version-stages AWSPENDING',
    '--secret-string file://registry-credentials.json',
  ].join(' ');
}

/**
 * The first issuer: it issues nothing itself but keeps the value an operator staged under the
 * rotation's token. GetSecretValue (VersionId=token, VersionStage=AWSPENDING) must find a value
 * and the value must parse (SPEC §3). Throws NothingStagedError with the staging command when
 * there is none, StagedValueError when the value is malformed.
 */
export class StagedCredentialIssuer implements CredentialIssuer {
  constructor(private readonly secretsManager: SecretsManagerClient) {}

  async ensurePending(pending: PendingVersion): Promise<readonly RegistryCredential[]> {
    let secretString: string | undefined;
    try {
      const response = await this.secretsManager.send(
        new GetSecretValueCommand({
          SecretId: pending.secretArn,
          VersionId: pending.token,
          VersionStage: 'AWSPENDING',
        }),
      );
      secretString = response.SecretString;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (secretString === undefined || secretString === '') {
      throw new NothingStagedError(
        `No value is staged under rotation token ${pending.token} of ${pending.secretArn}. ` +
          'Write the new registry credentials (SPEC §3 JSON) to registry-credentials.json, stage them with ' +
          `\`${stagingCommand(pending.secretArn, pending.token)}\`, then retry the rotation with ` +
          `\`aws secretsmanager rotate-secret --secret-id ${pending.secretArn}\`.`,
      );
    }
    try {
      return parseRegistrySecret(secretString);
    } catch (error) {
      if (!(error instanceof SecretFormatError)) throw error;
      throw new StagedValueError(
        `The value staged under rotation token ${pending.token} is invalid: ${error.message}`,
        { cause: error },
      );
    }
  }
}
