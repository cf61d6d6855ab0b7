/** Docker Hub's canonical registry name, as used in image references. */
export const DOCKER_HUB = 'docker.io';
/** The host that serves Docker Hub's Registry HTTP API v2. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key the ECS agent (and `docker login`) uses for Docker Hub credentials. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A registry, normalised: one name per registry, and where its API is. */
export interface RegistryName {
  /** `docker.io` for every Docker Hub alias, otherwise `host` or `host:port`, lowercase. */
  readonly name: string;
  /** `http` only when the configuration said `http://` explicitly. */
  readonly scheme: 'https' | 'http';
  /** Base URL of the Registry HTTP API, without `/v2/`. */
  readonly apiBase: string;
  /** The key for this registry in the ECS agent's auth data. */
  readonly authKey: string;
}

export class RegistryNameError extends Error {
  override readonly name = 'RegistryNameError';
}

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** Checks `host` or `host:port` (host lowercase); returns the problem or undefined. */
export function hostProblem(hostPort: string): string | undefined {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  if (!match) return 'is not a host or host:port';
  const host = match[1] ?? '';
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return 'has a port outside 1-65535';
  if (host.startsWith('[')) return IPV6.test(host) ? undefined : 'has an invalid IPv6 address';
  if (host.length === 0) return 'has an empty host';
  if (host.length > 253) return 'has a host name longer than 253 characters';
  if (!host.split('.').every((label) => label.length <= 63 && HOST_LABEL.test(label))) {
    return 'has a host name with characters outside a-z, 0-9, "-" and "."';
  }
  return undefined;
}

/**
 * Normalises a registry as written in a secret or in `ALLOWED_REGISTRIES`: a bare host
 * (`ghcr.io`, `registry.example.com:5000`), a URL (`https://registry.example.com`,
 * `http://10.0.0.5:5000`) or any of Docker Hub's names. Throws RegistryNameError saying which
 * rule failed; the message quotes nothing from the input (a URL may carry credentials).
 */
export function normaliseRegistryName(input: string): RegistryName {
  const raw = input.trim();
  if (raw.length === 0) throw new RegistryNameError('registry_url is empty');
  if (raw.length > 2048) throw new RegistryNameError('registry_url is longer than 2048 characters');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\s]/.test(raw)) {
    throw new RegistryNameError('registry_url contains whitespace or control characters');
  }
  let scheme: 'https' | 'http' = 'https';
  let rest = raw;
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(raw);
  if (schemeMatch) {
    const given = (schemeMatch[1] ?? '').toLowerCase();
    if (given !== 'https' && given !== 'http') {
      throw new RegistryNameError('registry_url must use https:// or http://');
    }
    scheme = given;
    rest = raw.slice(schemeMatch[0].length);
  }
  if (/[@?#]/.test(rest)) {
    throw new RegistryNameError('registry_url must not contain user info, a query or a fragment');
  }
  const slash = rest.indexOf('/');
  const hostPort = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : rest.slice(slash);
  if (!/^(\/|\/v[12]\/?)?$/.test(path)) {
    throw new RegistryNameError('registry_url must not have a path other than /v1/ or /v2/');
  }
  const problem = hostProblem(hostPort);
  if (problem) throw new RegistryNameError(`registry_url ${problem}`);
  if (DOCKER_HUB_ALIASES.has(hostPort)) {
    return {
      name: DOCKER_HUB,
      scheme: 'https',
      apiBase: `https://${DOCKER_HUB_API_HOST}`,
      authKey: DOCKER_HUB_AUTH_KEY,
    };
  }
  return { name: hostPort, scheme, apiBase: `${scheme}://${hostPort}`, authKey: hostPort };
}
