import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretVersion } from '../registry/secret-store';
import { type CredentialSecretResult, syncCredentialSecrets } from '../task-credentials/sync';
import type { RolloutDeps, RolloutTarget } from './types';

/**
 * The rollout's credential secret step (SPEC §11): with TASK_CREDENTIALS=true, brings one secret
 * per registry of V to V's credentials (lib/task-credentials/sync.ts). Missing ones are created
 * with the registry secret's KMS key (DescribeSecret, asked only when one is created). Throws
 * CredentialSecretSyncError when any registry failed; returns undefined when the mode is off.
 */
export async function keepCredentialSecrets(
  deps: RolloutDeps,
  target: RolloutTarget,
  secret: SecretVersion,
): Promise<readonly CredentialSecretResult[] | undefined> {
  if (!deps.settings.taskCredentials) return undefined;
  return syncCredentialSecrets(deps.secretsManager, deps.logger, {
    prefix: deps.settings.registrySecretPrefix,
    sourceVersionId: target.secretVersionId,
    credentials: secret.credentials,
    kmsKeyId: async () => {
      const described = await deps.secretsManager.send(
        new DescribeSecretCommand({ SecretId: target.secretArn }),
      );
      return described.KmsKeyId;
    },
    ...(target.supersededBy ? { supersededBy: target.supersededBy } : {}),
  });
}
