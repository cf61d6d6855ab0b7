import { batch, dynamodb, secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, readJsonBody } from '../lib/http';
import { submitIdempotently } from '../lib/idempotency/http';
import { IdempotentRequests } from '../lib/idempotency/idempotent';
import { IdempotencyTable } from '../lib/idempotency/records';
import { CredentialSecretArns } from '../lib/jobs/credential-secrets';
import { DefinitionPlanner, definitionSettings } from '../lib/jobs/definition-plan';
import { ImageAccess } from '../lib/jobs/image-access';
import { JobDefinitions } from '../lib/jobs/job-definitions';
import { QueueInfoCache } from '../lib/jobs/queue';
import { JobSubmitter } from '../lib/jobs/submit';
import { countSubmission, createMetrics } from '../lib/metrics';
import { Callers } from '../lib/ownership/callers';
import { RegistryClient } from '../lib/registry/client';
import { CurrentSecretCache } from '../lib/registry/secret-store';

const config = loadConfig(process.env, ['gateway']);
const callers = new Callers(config);

/**
 * Lives as long as the container: the secret, manifest checks, job definitions, the queue's
 * platform and credential secret lookups stay cached.
 */
export const submitter = new JobSubmitter({
  batch,
  jobQueue: config.jobQueue,
  imageAccess: new ImageAccess(
    new CurrentSecretCache(secretsManager, config.registrySecretArn, config.secretCacheSeconds),
    new RegistryClient({ timeoutMs: config.registryTimeoutMs }),
    config,
  ),
  jobDefinitions: new JobDefinitions(batch),
  queue: new QueueInfoCache(batch, config.jobQueue),
  defaultShareIdentifier: config.defaultShareIdentifier,
  planner: new DefinitionPlanner(
    new CredentialSecretArns(secretsManager, {
      prefix: config.registrySecretPrefix,
      ttlSeconds: config.secretCacheSeconds,
    }),
    definitionSettings(config),
  ),
});

/** `Idempotency-Key` records (SPEC §14), when the stack gives a table. */
const idempotency = config.idempotencyTable
  ? new IdempotentRequests(new IdempotencyTable(dynamodb, config.idempotencyTable))
  : undefined;

const metrics = createMetrics(config.stage);

/** `POST /jobs` (SPEC §8, §14). */
export const handler = httpHandler(async (event, context) => {
  const body = readJsonBody(event);
  const caller = callers.fromEvent(event);
  return submitIdempotently({ event, context, caller, body }, idempotency, () =>
    countSubmission(metrics, () => submitter.submit(body, caller)),
  );
});
