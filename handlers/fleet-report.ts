import { batch, dynamodb, ecs, eventBridge, secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { fleetReport } from '../lib/fleet/report';
import { logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { eventHandler } from '../lib/rotation/event-handler';

const config = loadConfig(process.env, ['fleet']);
const metrics = createMetrics(config.stage);

/**
 * Scheduled (SPEC §12): counts instances by loaded secret version (none in the hardened mode:
 * INSTANCE_CREDENTIALS=false) and the registry credential secrets by version; announces
 * convergence once per version.
 */
export const handler = eventHandler(async (): Promise<void> => {
  await fleetReport(
    { secretsManager, batch, ecs, dynamodb, eventBridge, metrics, logger, now: Date.now },
    {
      registrySecretArn: config.registrySecretArn,
      computeEnvironments: config.computeEnvironments,
      instanceCredentials: config.instanceCredentials,
      taskCredentials: config.taskCredentials,
      registrySecretPrefix: config.registrySecretPrefix,
      eventBusName: config.eventBusName,
      convergenceTable: config.convergenceTable ?? '',
    },
  );
});
