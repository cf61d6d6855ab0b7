import { secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { RegistryClient } from '../lib/registry/client';
import { productionRollout } from '../lib/rollout/production';
import { StagedCredentialIssuer } from '../lib/rotation/credential-issuer';
import { eventHandler } from '../lib/rotation/event-handler';
import { parseRotationEvent, type RotationDeps, rotateSecret } from '../lib/rotation/rotate-secret';

const config = loadConfig(process.env, ['rollout']);
const registry = new RegistryClient({ timeoutMs: config.registryTimeoutMs });

/** Lives as long as the container. */
export const deps: RotationDeps = {
  secretsManager,
  secretId: config.registrySecretArn,
  issuer: new StagedCredentialIssuer(secretsManager),
  verifier: registry,
  verifyCredentials: config.verifyCredentials,
  rollout: productionRollout(config, registry),
  logger,
};

/** Secrets Manager rotation function: createSecret, setSecret, testSecret, finishSecret (SPEC §6). */
export const handler = eventHandler(async (event: unknown): Promise<void> => {
  await rotateSecret(deps, parseRotationEvent(event));
});
