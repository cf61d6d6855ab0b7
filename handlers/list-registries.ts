import { secretsManager } from '../lib/aws-clients';
import { awsFailure } from '../lib/aws-errors';
import { loadConfig } from '../lib/config';
import { HttpError } from '../lib/errors';
import { httpHandler, json } from '../lib/http';
import { registryNames, SecretFormatError } from '../lib/registry/secret';
import { CurrentSecretCache, type SecretVersion } from '../lib/registry/secret-store';

const config = loadConfig(process.env);

/** AWSCURRENT of the registry secret, reused for SECRET_CACHE_SECONDS; lives as long as the container. */
export const registrySecret = new CurrentSecretCache(
  secretsManager,
  config.registrySecretArn,
  config.secretCacheSeconds,
);

async function currentSecret(): Promise<SecretVersion> {
  try {
    return await registrySecret.get();
  } catch (error) {
    if (error instanceof SecretFormatError) {
      // A 5xx says nothing internal; the operator finds the rule in the log (the message names the
      // rule and the entry, never a value: SecretFormatError's contract).
      throw new HttpError(502, 'Bad Gateway', 'The gateway cannot use its registry credentials.', {
        cause: error,
      });
    }
    throw awsFailure(error, 'The gateway could not read its registry secret.');
  }
}

/** `GET /registries` (SPEC §8): the registry names of the secret plus ALLOWED_REGISTRIES, never credentials. */
export const handler = httpHandler(async () => {
  const secret = await currentSecret();
  return json(200, { registries: registryNames(secret.credentials, config.allowedRegistries) });
});
