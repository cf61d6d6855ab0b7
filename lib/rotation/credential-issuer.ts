import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from '../registry/secret';
import { readSecretString, sameCredentials } from './secret-values';

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

/** Nothing new is staged for the rotation; the message says how to stage a value. */
export class NothingStagedError extends Error {
  override readonly name = 'NothingStagedError';
}

/** The staged value is not a valid registry secret; the message names the rule, never a value. */
export class StagedValueError extends Error {
  override readonly name = 'StagedValueError';
}

/** The operator's command that stages new credentials in the staging secret (AWS CLI v2). */
export function stagingCommand(stagingSecretId: string): string {
  return `aws secretsmanager put-secret-value --secret-id ${stagingSecretId} --secret-string file://registry-credentials.json`;
}

/**
 * How to start the rotation again after createSecret failed: the failed rotation's value-less
 * AWSPENDING version blocks RotateSecret ("A previous rotation isn't complete") until the label
 * is removed from it.
 */
export function retryCommands(secretArn: string, token: string): string {
  return (
    `\`aws secretsmanager update-secret-version-stage --secret-id ${secretArn} --version-stage AWSPENDING ` +
    `--remove-from-version-id ${token}\`, then \`aws secretsmanager rotate-secret --secret-id ${secretArn}\``
  );
}

function parseStaged(secretString: string, what: string): RegistryCredential[] {
  try {
    return parseRegistrySecret(secretString);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new StagedValueError(`${what} is invalid: ${error.message}`, { cause: error });
  }
}

/**
 * The first issuer, built for how Secrets Manager really rotates (SPEC §6): RotateSecret creates
 * the rotation's AWSPENDING version itself, without a value, under a token it chooses. The
 * operator puts the new credentials into the staging secret (REGISTRY_STAGING_SECRET_ARN) first;
 * createSecret copies that value into the rotation's version (PutSecretValue with
 * ClientRequestToken = token, AWSPENDING), as AWS's own rotation templates do. A value already
 * under the token is kept (a retry finds it there). Throws NothingStagedError, with the commands
 * to run, when nothing is staged or the staged value equals AWSCURRENT's; StagedValueError when it
 * is malformed.
 */
export class StagedCredentialIssuer implements CredentialIssuer {
  constructor(
    private readonly secretsManager: SecretsManagerClient,
    /** REGISTRY_STAGING_SECRET_ARN; undefined when the deployment has none. */
    private readonly stagingSecretId: string | undefined,
  ) {}

  async ensurePending(pending: PendingVersion): Promise<readonly RegistryCredential[]> {
    const { secretArn, token } = pending;
    const existing = await readSecretString(this.secretsManager, secretArn, {
      versionId: token,
      versionStage: 'AWSPENDING',
    });
    if (existing !== undefined) return parseStaged(existing, `The value under rotation token ${token}`);

    const retry = retryCommands(secretArn, token);
    if (this.stagingSecretId === undefined) {
      throw new NothingStagedError(
        `No staging secret is configured (REGISTRY_STAGING_SECRET_ARN), so rotation ${token} of ${secretArn} has nothing to rotate to. ` +
          `Deploy the stack (it creates the staging secret), stage the new credentials there, then run ${retry}.`,
      );
    }
    const staged = await readSecretString(this.secretsManager, this.stagingSecretId, {
      versionStage: 'AWSCURRENT',
    });
    const howToStage =
      'Write the new registry credentials (SPEC §3 JSON) to registry-credentials.json, stage them with ' +
      `\`${stagingCommand(this.stagingSecretId)}\`, then run ${retry}.`;
    if (staged === undefined) {
      throw new NothingStagedError(
        `Nothing is staged in ${this.stagingSecretId} for rotation ${token} of ${secretArn}. ${howToStage}`,
      );
    }
    const credentials = parseStaged(staged, `The value staged in ${this.stagingSecretId}`);
    const current = await readSecretString(this.secretsManager, secretArn, { versionStage: 'AWSCURRENT' });
    if (current !== undefined && sameCredentials(current, staged)) {
      throw new NothingStagedError(
        `The value staged in ${this.stagingSecretId} is the current value of ${secretArn}: nothing new to rotate to. ${howToStage}`,
      );
    }
    await this.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        SecretString: staged,
        VersionStages: ['AWSPENDING'],
        ...(pending.rotationToken !== undefined ? { RotationToken: pending.rotationToken } : {}),
      }),
    );
    return credentials;
  }
}
