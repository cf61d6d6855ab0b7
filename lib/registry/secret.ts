import { DOCKER_HUB, normaliseRegistryName, type RegistryName, RegistryNameError } from './registry-name';

/** One registry's credentials from the secret. */
export interface RegistryCredential {
  readonly registry: RegistryName;
  readonly username: string;
  readonly password: string;
}

/** The secret's value is malformed. The message names the rule and the entry, never a value. */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

const SEED_KEYS = ['username', 'password', 'registry_url'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Where a JSON syntax error is. V8's message quotes part of the input, which may be a password,
 * so only the position is kept and the original error is not passed on as a cause.
 */
function jsonErrorPosition(error: unknown): string {
  const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined;
  return position === undefined ? '' : ` (syntax error at character ${position})`;
}

/**
 * The username Google Artifact Registry and Container Registry document for a service-account
 * key: the password is the whole key file, multi-line JSON (`cat key.json | docker login -u
 * _json_key --password-stdin`). `_json_key_base64` takes the same key base64-encoded, one line.
 */
export const JSON_KEY_USERNAME = '_json_key';

/** A `_json_key` password: a JSON object, whose line breaks and tabs are layout, not a paste slip. */
function isJsonKeyFile(value: string): boolean {
  try {
    return isRecord(JSON.parse(value));
  } catch {
    return false;
  }
}

function credentialField(
  entry: Record<string, unknown>,
  field: 'username' | 'password',
  where: string,
): string {
  const value = entry[field];
  if (value === undefined) throw new SecretFormatError(`${where}: ${field} is missing`);
  if (typeof value !== 'string') {
    throw new SecretFormatError(`${where}: ${field} must be a string, not ${kindOf(value)}`);
  }
  if (value.trim() === '') throw new SecretFormatError(`${where}: ${field} is empty`);
  const jsonKey = field === 'password' && entry.username === JSON_KEY_USERNAME;
  // A JSON key file's only control characters are the layout between tokens (JSON allows none
  // raw inside a string), so valid JSON under `_json_key` passes as it is.
  const layoutAllowed = jsonKey && isJsonKeyFile(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (!layoutAllowed && /[\u0000-\u001f\u007f]/.test(value)) {
    throw new SecretFormatError(
      jsonKey
        ? `${where}: password contains control characters and is not a JSON key file (for a Google service-account key, give the whole key file, or use username ${JSON_KEY_USERNAME}_base64 with the key base64-encoded)`
        : `${where}: ${field} contains control characters (a line break pasted in?)`,
    );
  }
  if (field === 'username' && value.includes(':')) {
    throw new SecretFormatError(
      `${where}: username must not contain ":" (Basic authentication cannot carry it)`,
    );
  }
  return value;
}

function registryField(entry: Record<string, unknown>, where: string, required: boolean): RegistryName {
  const value = entry.registry_url;
  if (value === undefined && !required) return normaliseRegistryName(DOCKER_HUB);
  if (value === undefined) throw new SecretFormatError(`${where}: registry_url is missing`);
  if (typeof value !== 'string') {
    throw new SecretFormatError(`${where}: registry_url must be a string, not ${kindOf(value)}`);
  }
  try {
    return normaliseRegistryName(value);
  } catch (error) {
    if (error instanceof RegistryNameError) {
      throw new SecretFormatError(`${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function parseEntry(entry: unknown, where: string, registryRequired: boolean): RegistryCredential {
  if (!isRecord(entry)) throw new SecretFormatError(`${where} must be an object, not ${kindOf(entry)}`);
  // The registry comes first so that later messages can name the entry by its host.
  const registry = registryField(entry, where, registryRequired);
  const named = `${where} (${registry.name})`;
  return {
    registry,
    username: credentialField(entry, 'username', named),
    password: credentialField(entry, 'password', named),
  };
}

/**
 * Parses either secret form of SPEC §3 — `{username, password, registry_url?}` (no registry_url
 * means Docker Hub) or `{registries: [{registry_url, username, password}, ...]}` — into one
 * credential per registry, names normalised (every Docker Hub alias is `docker.io`). Unknown
 * keys inside an entry are ignored. Throws SecretFormatError naming the rule that failed and the
 * entry (index and normalised host); no message carries a value from the secret.
 */
export function parseRegistrySecret(secretString: string): RegistryCredential[] {
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch (error) {
    throw new SecretFormatError(`the secret is not valid JSON${jsonErrorPosition(error)}`);
  }
  if (!isRecord(value)) throw new SecretFormatError(`the secret must be a JSON object, not ${kindOf(value)}`);

  const hasList = 'registries' in value;
  const seedKeys = SEED_KEYS.filter((key) => key in value);
  if (hasList && seedKeys.length > 0) {
    throw new SecretFormatError(
      `the secret mixes both forms: "registries" together with top-level ${seedKeys.map((key) => `"${key}"`).join(', ')}`,
    );
  }
  if (!hasList) {
    if (seedKeys.length === 0) {
      throw new SecretFormatError(
        'the secret has neither "registries" nor "username"/"password": use {"username","password","registry_url"} or {"registries":[...]}',
      );
    }
    return [parseEntry(value, 'the secret', false)];
  }

  const list = value.registries;
  if (!Array.isArray(list)) throw new SecretFormatError(`"registries" must be an array, not ${kindOf(list)}`);
  if (list.length === 0) throw new SecretFormatError('"registries" is empty: name at least one registry');
  const credentials: RegistryCredential[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry: unknown, index) => {
    const credential = parseEntry(entry, `registries[${index}]`, true);
    const earlier = seen.get(credential.registry.name);
    if (earlier !== undefined) {
      throw new SecretFormatError(
        `registries[${index}] (${credential.registry.name}) names the same registry as registries[${earlier}]`,
      );
    }
    seen.set(credential.registry.name, index);
    credentials.push(credential);
  });
  return credentials;
}

/** The sorted, unique registry names of the secret's credentials and any extra allowed registries. */
export function registryNames(
  credentials: readonly RegistryCredential[],
  allowed: readonly RegistryName[] = [],
): string[] {
  const names = new Set([
    ...credentials.map((credential) => credential.registry.name),
    ...allowed.map((r) => r.name),
  ]);
  return [...names].sort();
}
