import { DOCKER_HUB, normaliseRegistryName, RegistryNameError } from './registry-name';

/** A parsed, normalised image reference (distribution reference grammar). */
export interface ImageReference {
  /** Registry name as normalised by normaliseRegistryName: `docker.io`, `ghcr.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path; Docker Hub official images get `library/`. */
  readonly repository: string;
  /** Tag; `latest` when neither tag nor digest was given. Undefined when only a digest was given. */
  readonly tag: string | undefined;
  /** `algorithm:hex`, when given. */
  readonly digest: string | undefined;
  /** The canonical string: `registry/repository[:tag][@digest]`. */
  readonly normalised: string;
}

export class ImageReferenceError extends Error {
  override readonly name = 'ImageReferenceError';
}

/** Longest input looked at; a longer one is rejected before any parsing (the name limit is 255). */
export const MAX_REFERENCE_LENGTH = 512;
/** The grammar's limit on the whole name (registry and repository path). */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** path-component := alpha-numeric [separator alpha-numeric]*, separator := [_.] | __ | [-]+ */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** tag := [\w][\w.-]{0,127} */
export const TAG = /^\w[\w.-]{0,127}$/;
/** digest := algorithm ":" hex, algorithm components joined by [-_+.], hex of at least 32 digits. */
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Hex lengths (lowercase) of the registered algorithms, the only ones the distribution parser accepts. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
/** domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
/** host [":" port]: a domain name or a bracketed IPv6 address, then an optional port. */
const DOMAIN = /^(?:(?<name>[^:[\]]+)|\[(?<ipv6>[0-9a-fA-F:]+)\])(?::(?<port>[0-9]+))?$/;
/** 64 lowercase hex digits: an image id, which the grammar refuses as a repository name. */
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** Quotes a short, already validated piece of the input; never echoes a long one. */
function quote(text: string): string {
  return text.length <= 64
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, 32))}... (${text.length} characters)`;
}

function fail(message: string): never {
  throw new ImageReferenceError(`invalid image reference: ${message}`);
}

/**
 * Validates a digest (`algorithm:hex`) by the grammar, then as the distribution project's parser
 * does: only a registered algorithm (sha256, sha384, sha512), with its exact lowercase hex length.
 */
export function digestProblem(digest: string): string | undefined {
  if (!DIGEST.test(digest)) {
    return 'digest must be "algorithm:hex" (for example sha256: and 64 hex digits)';
  }
  const [algorithm = '', hex = ''] = digest.split(':');
  const expected = DIGEST_HEX_LENGTH[algorithm.toLowerCase()];
  if (expected === undefined) {
    return `digest algorithm ${quote(algorithm)} is not supported; use sha256, sha384 or sha512`;
  }
  if (algorithm !== algorithm.toLowerCase()) {
    return `digest algorithm ${algorithm.toLowerCase()} must be written in lowercase`;
  }
  if (hex.length !== expected || !/^[a-f0-9]+$/.test(hex)) {
    return `${algorithm} digest must have exactly ${expected} lowercase hex digits`;
  }
  return undefined;
}

function checkDomain(domain: string): string {
  const match = DOMAIN.exec(domain);
  if (!match?.groups) fail(`registry ${quote(domain)} is not a host or host:port`);
  const { name, ipv6, port } = match.groups;
  if (name !== undefined && !name.split('.').every((component) => DOMAIN_COMPONENT.test(component))) {
    fail(`registry ${quote(domain)} has a host name with characters outside a-z, A-Z, 0-9, "-" and "."`);
  }
  if (ipv6 !== undefined && !ipv6.includes(':')) fail(`registry ${quote(domain)} is not an IPv6 address`);
  if (port !== undefined && (port.length > 5 || Number(port) < 1 || Number(port) > 65535)) {
    fail(`registry ${quote(domain)} has a port outside 1-65535`);
  }
  try {
    return normaliseRegistryName(domain).name;
  } catch (error) {
    if (error instanceof RegistryNameError) fail(`registry ${quote(domain)}: ${error.message}`);
    throw error;
  }
}

function checkPath(path: string): void {
  for (const component of path.split('/')) {
    if (component === '') fail('repository has an empty path component (leading, trailing or double "/")');
    if (!PATH_COMPONENT.test(component)) {
      if (PATH_COMPONENT.test(component.toLowerCase())) {
        fail(`repository name must be lowercase (${quote(component)})`);
      }
      fail(
        `repository path component ${quote(component)} must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
}

/**
 * Parses and normalises an image reference (`[registry/]path[:tag][@digest]`) by the distribution
 * reference grammar. The first path component is a registry only when it holds `.` or `:` or is
 * `localhost`; otherwise the image is on Docker Hub (`docker.io`, with `library/` for one-component
 * names). Every Docker Hub alias becomes `docker.io`. Throws ImageReferenceError naming the rule.
 */
export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string') fail('must be a string');
  if (input.length === 0) fail('is empty');
  if (input.length > MAX_REFERENCE_LENGTH) {
    fail(`is ${input.length} characters long; the limit is ${MAX_REFERENCE_LENGTH}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(input)) fail('contains control characters');
  if (/\s/.test(input)) fail('contains whitespace');
  if (/[^\x21-\x7e]/.test(input)) {
    fail('contains non-ASCII characters (image references are ASCII; look-alike letters are not accepted)');
  }

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    fail('must not start with a URL scheme such as https://; write registry/repository[:tag]');
  }

  const at = input.indexOf('@');
  if (at !== -1 && input.indexOf('@', at + 1) !== -1) fail('contains more than one "@"');
  const namePart = at === -1 ? input : input.slice(0, at);
  const digest = at === -1 ? undefined : input.slice(at + 1);
  if (digest !== undefined) {
    if (digest.includes('/')) fail('"@" may only introduce a digest at the end, not a registry or user');
    const problem = digestProblem(digest);
    if (problem) fail(problem);
  }

  const lastSlash = namePart.lastIndexOf('/');
  const colon = namePart.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? namePart : namePart.slice(0, colon);
  const tag = colon === -1 ? undefined : namePart.slice(colon + 1);
  if (name === '') fail('has no repository name');
  if (tag !== undefined) {
    if (tag === '') fail('has an empty tag after ":"');
    if (tag.length > 128) fail(`tag is ${tag.length} characters long; the limit is 128`);
    if (!TAG.test(tag)) {
      fail(`tag ${quote(tag)} must start with a letter, digit or "_" and hold only those, "." and "-"`);
    }
  }

  const firstSlash = name.indexOf('/');
  const first = firstSlash === -1 ? undefined : name.slice(0, firstSlash);
  const hasDomain =
    first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasDomain ? checkDomain(first) : DOCKER_HUB;
  let repository = hasDomain ? name.slice(firstSlash + 1) : name;
  if (!hasDomain && IDENTIFIER.test(repository)) {
    fail('repository name must not be 64 hex digits (that is an image id, not a name)');
  }
  checkPath(repository);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const fullName = `${registry}/${repository}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    fail(`name is ${fullName.length} characters long; the limit is ${NAME_TOTAL_LENGTH_MAX}`);
  }

  const resolvedTag = tag ?? (digest === undefined ? 'latest' : undefined);
  const parts = { registry, repository, tag: resolvedTag, digest };
  return { ...parts, normalised: formatImageReference(parts) };
}

/** The canonical string of a reference: `registry/repository[:tag][@digest]`. */
export function formatImageReference(
  ref: Pick<ImageReference, 'registry' | 'repository' | 'tag' | 'digest'>,
): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${ref.registry}/${ref.repository}${tag}${digest}`;
}
