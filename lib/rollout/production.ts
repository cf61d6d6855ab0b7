import { batch, ec2, secretsManager } from '../aws-clients';
import type { Config } from '../config';
import { logger } from '../logger';
import { createMetrics, measureRollout } from '../metrics';
import type { CredentialVerifier } from './credentials';
import { type RolloutSummary, type RolloutTarget, rollout } from './rollout';
import { renderUserData } from './user-data';

/**
 * The rollout bound to the shared AWS clients, the logger, the user data renderer and real
 * sleeps: what both event handlers run. `remainingMs` is the invocation's time left, so waits
 * for UPDATING compute environments use the whole Lambda timeout.
 */
export function productionRollout(
  config: Config,
  verifier: CredentialVerifier,
): (target: RolloutTarget, remainingMs?: () => number) => Promise<RolloutSummary> {
  const metrics = createMetrics(config.stage);
  const run = (target: RolloutTarget, remainingMs?: () => number) =>
    rollout(
      {
        ec2,
        batch,
        secretsManager,
        verifier,
        renderUserData,
        settings: config,
        logger,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        ...(remainingMs ? { remainingMs } : {}),
      },
      target,
    );
  return (target, remainingMs) => measureRollout(metrics, () => run(target, remainingMs));
}
