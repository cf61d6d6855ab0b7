import { secretsManager } from '../lib/aws-clients';
import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http';
import { readSecretForRequest } from '../lib/jobs/image-access';
import { registryNames } from '../lib/registry/secret';
import { CurrentSecretCache } from '../lib/registry/secret-store';

const config = loadConfig(process.env);

/** AWSCURRENT of the registry secret, reused for SECRET_CACHE_SECONDS; lives as long as the container. */
export const registrySecret = new CurrentSecretCache(
  secretsManager,
  config.registrySecretArn,
  config.secretCacheSeconds,
);

/** `GET /registries` (SPEC §8): the registry names of the secret plus ALLOWED_REGISTRIES, never credentials. */
export const handler = httpHandler(async () => {
  const secret = await readSecretForRequest(
    registrySecret,
    'The gateway could not read its registry secret.',
  );
  return json(200, { registries: registryNames(secret.credentials, config.allowedRegistries) });
});
