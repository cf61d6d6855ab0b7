import { secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { RegistryClient } from '../lib/registry/client';
import { productionRollout } from '../lib/rollout/production';
import { eventHandler } from '../lib/rotation/event-handler';
import { handleSecretChanged } from '../lib/rotation/on-secret-changed';

const config = loadConfig(process.env, ['rollout']);
const rollOut = productionRollout(config, new RegistryClient({ timeoutMs: config.registryTimeoutMs }));

/** EventBridge target: a change to the secret's AWSCURRENT rolls it out to the fleet (SPEC §6). */
export const handler = eventHandler(async (event: unknown, context): Promise<void> => {
  // Lambda always gives the time left; a bare test context may not.
  const remainingMs =
    typeof context.getRemainingTimeInMillis === 'function'
      ? () => context.getRemainingTimeInMillis()
      : undefined;
  await handleSecretChanged(
    {
      secretsManager,
      secretId: config.registrySecretArn,
      rollout: (target) => rollOut(target, remainingMs),
      logger,
    },
    event,
  );
});
