import { RegistryError } from './registry-error';
import type { RegistryName } from './registry-name';

/** One challenge of a WWW-Authenticate header: its scheme (lower case) and parameters. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate header into its challenges (`Bearer realm="...",service="..."`,
 * `Basic realm="..."`); several challenges may be joined by commas.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  const pattern = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*,?/gy;
  for (let match = pattern.exec(header); match !== null && match[0] !== ''; match = pattern.exec(header)) {
    const [, word = '', quoted, bare] = match;
    const current = challenges.at(-1);
    if (quoted === undefined && bare === undefined) {
      challenges.push({ scheme: word.toLowerCase(), params: {} });
    } else if (current) {
      current.params[word.toLowerCase()] =
        quoted === undefined ? (bare ?? '') : quoted.replace(/\\(.)/g, '$1');
    }
  }
  return challenges;
}

/**
 * The token service URL from a Bearer challenge's realm. Throws RegistryError unless it is an
 * http(s) URL without user info; an https registry must name an https realm, since the
 * credentials travel there.
 */
export function tokenRealmUrl(registry: RegistryName, realm: string | undefined): URL {
  let url: URL | undefined;
  try {
    url = realm ? new URL(realm) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new RegistryError(
      'unexpected-status',
      registry.name,
      401,
      `registry ${registry.name} asked for a token from a realm that is not an http(s) URL`,
    );
  }
  if (registry.scheme === 'https' && url.protocol !== 'https:') {
    throw new RegistryError(
      'unexpected-status',
      registry.name,
      401,
      `registry ${registry.name} is https but named a plain-http token realm; credentials are not sent there`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new RegistryError(
      'unexpected-status',
      registry.name,
      401,
      `registry ${registry.name} named a token realm with user info; it is not followed`,
    );
  }
  return url;
}
