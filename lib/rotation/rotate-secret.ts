import {
  DescribeSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from '../registry/secret';
import { versionWithStage } from '../registry/secret-store';
import { type CredentialVerifier, verifyRegistryCredentials } from '../rollout/credentials';
import type { LogSink, RolloutSummary, RolloutTarget } from '../rollout/rollout';
import type { CredentialIssuer } from './credential-issuer';
import { refersToSecret } from './on-secret-changed';
import { readSecretString, sameCredentials } from './secret-values';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends a rotation function. */
export const rotationEventSchema = z.object({
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  Step: z.enum(ROTATION_STEPS),
  RotationToken: z.optional(z.string().check(z.minLength(1))),
});
export type RotationEvent = z.infer<typeof rotationEventSchema>;

/** A rotation check failed (not enabled, unknown version, not pending) or the event is malformed. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

/** Parses a rotation event; throws RotationError naming the fields that are wrong. */
export function parseRotationEvent(event: unknown): RotationEvent {
  const parsed = rotationEventSchema.safeParse(event);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(event)');
    throw new RotationError(`Not a Secrets Manager rotation event: check ${[...new Set(fields)].join(', ')}`);
  }
  return parsed.data;
}

/** The pending value, parsed; a malformed one names the version and the rule, never a value. */
function parsePending(secretString: string, token: string): RegistryCredential[] {
  try {
    return parseRegistrySecret(secretString);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new SecretFormatError(`secret version ${token}: ${error.message}`, { cause: error });
  }
}

/**
 * Takes AWSPENDING off the rotated version (UpdateSecretVersionStage with RemoveFromVersionId
 * only), so no label is left that a later RotateSecret could take for a rotation in progress.
 */
async function removePending(client: SecretsManagerClient, secretArn: string, token: string): Promise<void> {
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretArn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: token,
    }),
  );
}

export interface RotationDeps {
  readonly secretsManager: SecretsManagerClient;
  /** REGISTRY_SECRET_ARN: the only secret this function rotates (the fleet's user data reads it). */
  readonly secretId: string;
  readonly issuer: CredentialIssuer;
  readonly verifier: CredentialVerifier;
  /** VERIFY_CREDENTIALS: when false, testSecret checks the value's shape only. */
  readonly verifyCredentials: boolean;
  /** Rolls a secret version out to the fleet (lib/rollout/rollout.ts, deps bound). */
  readonly rollout: (target: RolloutTarget) => Promise<Pick<RolloutSummary, 'superseded'> | undefined>;
  readonly logger: LogSink;
}

export type RotationResult = 'done' | 'already-current';

/**
 * One step of the Secrets Manager rotation contract, safe to repeat. First the standard checks
 * (DescribeSecret): the secret is the configured one, rotation enabled, the token is a version of the secret, a token already
 * AWSCURRENT means done, otherwise it must be AWSPENDING. Then:
 * - createSecret: the credential issuer makes sure a valid value is pending under the token;
 * - setSecret: nothing (a registry's credentials are issued by its owner, not changed here);
 * - testSecret: logs in to every registry with the pending credentials (CredentialCheckError);
 *   a pending version without a value or with AWSCURRENT's value is Secrets Manager's
 *   configuration test and passes without contacting a registry;
 * - finishSecret: rolls the pending version out, then moves AWSCURRENT to it
 *   (UpdateSecretVersionStage with RemoveFromVersionId), so a failed rollout changes nothing, and
 *   takes AWSPENDING off it.
 * Throws RotationError when a check fails; other errors pass through for Secrets Manager to retry.
 */
export async function rotateSecret(deps: RotationDeps, event: RotationEvent): Promise<RotationResult> {
  const token = event.ClientRequestToken;
  const described = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
  const secretArn = described.ARN ?? event.SecretId;
  const log = { secretArn, secretVersionId: token, step: event.Step };
  const identity = { arn: secretArn, name: described.Name ?? '', configured: secretArn };
  if (!refersToSecret(deps.secretId, identity)) {
    throw new RotationError(`This function rotates ${deps.secretId} only, not ${secretArn}`);
  }
  if (described.RotationEnabled !== true) {
    throw new RotationError(`Secret ${secretArn} is not enabled for rotation`);
  }
  const versions = described.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined) {
    throw new RotationError(`Version ${token} is not a version of secret ${secretArn}`);
  }
  if (stages.includes('AWSCURRENT')) {
    // A finishSecret retried after AWSCURRENT moved still takes AWSPENDING off the version.
    if (event.Step === 'finishSecret' && stages.includes('AWSPENDING')) {
      await removePending(deps.secretsManager, secretArn, token);
    }
    deps.logger.info('rotation step skipped: the version is already AWSCURRENT', log);
    return 'already-current';
  }
  if (!stages.includes('AWSPENDING')) {
    throw new RotationError(`Version ${token} of secret ${secretArn} is not AWSPENDING`);
  }

  switch (event.Step) {
    case 'createSecret': {
      const credentials = await deps.issuer.ensurePending({
        secretArn,
        token,
        rotationToken: event.RotationToken,
      });
      deps.logger.info('pending version ready', {
        ...log,
        registries: credentials.map((c) => c.registry.name),
      });
      break;
    }
    case 'setSecret':
      deps.logger.info(
        'nothing to set: registry credentials are issued by the registry, not by rotation',
        log,
      );
      break;
    case 'testSecret': {
      // Secrets Manager's configuration test (RotateSecret with RotateImmediately false, as
      // CloudFormation's RotateImmediatelyOnUpdate: false does at deploy) runs this step alone on
      // an AWSPENDING version it creates and then removes: without a value on a new stack's empty
      // secret, or holding AWSCURRENT's value. Nothing new is pending, so no registry is asked
      // (a briefly unreachable one must not fail a deploy); finishSecret's rollout verifies anyway.
      const pendingValue = await readSecretString(deps.secretsManager, secretArn, {
        versionId: token,
        versionStage: 'AWSPENDING',
      });
      const currentId = versionWithStage(versions, 'AWSCURRENT');
      const currentValue =
        pendingValue === undefined || currentId === undefined
          ? undefined
          : await readSecretString(deps.secretsManager, secretArn, { versionId: currentId });
      if (
        pendingValue === undefined ||
        (currentValue !== undefined && sameCredentials(currentValue, pendingValue))
      ) {
        deps.logger.info('configuration test: nothing new is pending, no registry contacted', {
          ...log,
          pending: pendingValue === undefined ? 'no value' : "AWSCURRENT's value",
        });
        break;
      }
      const pending = parsePending(pendingValue, token);
      const registries = pending.map((c) => c.registry.name);
      if (deps.verifyCredentials) {
        await verifyRegistryCredentials(deps.verifier, pending);
        deps.logger.info('pending credentials accepted by every registry', { ...log, registries });
      } else {
        deps.logger.warn('registry logins skipped (VERIFY_CREDENTIALS=false); value is well-formed', {
          ...log,
          registries,
        });
      }
      break;
    }
    case 'finishSecret': {
      const current = versionWithStage(versions, 'AWSCURRENT');
      // Wanted while the token is still this rotation's pending (or already current) version.
      const supersededBy = async (): Promise<string | undefined> => {
        const now = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
        const stages = now.VersionIdsToStages ?? {};
        const labels = stages[token] ?? [];
        if (!labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT')) {
          return `superseded: version ${token} is no longer AWSPENDING`;
        }
        // An operator's update during the rotation made a newer version current: it owns the fleet.
        const currentNow = versionWithStage(stages, 'AWSCURRENT');
        return currentNow === current || currentNow === token
          ? undefined
          : `superseded: AWSCURRENT moved to version ${currentNow ?? '(none)'} during the rotation`;
      };
      const rolledOut = await deps.rollout({ secretArn, secretVersionId: token, supersededBy });
      if (rolledOut?.superseded) {
        throw new RotationError(`finishSecret stopped before moving AWSCURRENT: ${rolledOut.superseded}`);
      }
      await deps.secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretArn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(current !== undefined ? { RemoveFromVersionId: current } : {}),
        }),
      );
      deps.logger.info('AWSCURRENT moved to the rolled-out version', { ...log, previousVersionId: current });
      await removePending(deps.secretsManager, secretArn, token);
      break;
    }
  }
  return 'done';
}
