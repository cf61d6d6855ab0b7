import { secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { RegistryClient } from '../lib/registry/client';
import { productionRollout } from '../lib/rollout/production';
import { StagedCredentialIssuer } from '../lib/rotation/credential-issuer';
import { eventHandler } from '../lib/rotation/event-handler';
import { parseRotationEvent, rotateSecret } from '../lib/rotation/rotate-secret';

const config = loadConfig(process.env, ['rollout']);
const registry = new RegistryClient({ timeoutMs: config.registryTimeoutMs });
const rollOut = productionRollout(config, registry);
const issuer = new StagedCredentialIssuer(secretsManager, config.stagingSecretArn);

/** Secrets Manager rotation function: createSecret, setSecret, testSecret, finishSecret (SPEC §6). */
export const handler = eventHandler(async (event: unknown, context): Promise<void> => {
  // Lambda always gives the time left; a bare test context may not.
  const remainingMs =
    typeof context.getRemainingTimeInMillis === 'function'
      ? () => context.getRemainingTimeInMillis()
      : undefined;
  await rotateSecret(
    {
      secretsManager,
      secretId: config.registrySecretArn,
      issuer,
      verifier: registry,
      verifyCredentials: config.verifyCredentials,
      rollout: (target) => rollOut(target, remainingMs),
      logger,
    },
    parseRotationEvent(event),
  );
});
