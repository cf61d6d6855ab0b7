import { secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { RegistryClient } from '../lib/registry/client';
import { productionRollout } from '../lib/rollout/production';
import { eventHandler } from '../lib/rotation/event-handler';
import { handleSecretChanged, type SecretChangedDeps } from '../lib/rotation/on-secret-changed';

const config = loadConfig(process.env, ['rollout']);

/** Lives as long as the container. */
export const deps: SecretChangedDeps = {
  secretsManager,
  secretId: config.registrySecretArn,
  rollout: productionRollout(config, new RegistryClient({ timeoutMs: config.registryTimeoutMs })),
  logger,
};

/** EventBridge target: a change to the secret's AWSCURRENT rolls it out to the fleet (SPEC §6). */
export const handler = eventHandler(async (event: unknown): Promise<void> => {
  await handleSecretChanged(deps, event);
});
