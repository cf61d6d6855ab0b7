import { batch, secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json, readJsonBody } from '../lib/http';
import { CredentialSecretArns } from '../lib/jobs/credential-secrets';
import { DefinitionPlanner, definitionSettings } from '../lib/jobs/definition-plan';
import { callerArn } from '../lib/jobs/http';
import { ImageAccess } from '../lib/jobs/image-access';
import { JobDefinitions } from '../lib/jobs/job-definitions';
import { QueueInfoCache } from '../lib/jobs/queue';
import { JobSubmitter } from '../lib/jobs/submit';
import { countSubmission, createMetrics } from '../lib/metrics';
import { RegistryClient } from '../lib/registry/client';
import { CurrentSecretCache } from '../lib/registry/secret-store';

const config = loadConfig(process.env, ['gateway']);

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
  planner: new DefinitionPlanner(
    new CredentialSecretArns(secretsManager, {
      prefix: config.registrySecretPrefix,
      ttlSeconds: config.secretCacheSeconds,
    }),
    definitionSettings(config),
  ),
});

const metrics = createMetrics(config.stage);

/** `POST /jobs` (SPEC §8). */
export const handler = httpHandler(async (event) =>
  json(202, await countSubmission(metrics, () => submitter.submit(readJsonBody(event), callerArn(event)))),
);
