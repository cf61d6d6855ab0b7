import type { ImageReference } from '../registry/reference';

/** Prefix of every job definition the gateway manages. */
export const JOB_DEFINITION_PREFIX = 'brg-';

const MAX_NAME = 128;
const HASH_LENGTH = 12;

/**
 * The managed job definition's name: `brg-<stage>-<readable image>-<first 12 hex of hash>`, at most
 * 128 characters of `[A-Za-z0-9_-]` (`hash` is a hex digest of everything that makes the definition
 * what it is). The readable part may be cut short; the hash keeps different definitions apart, and
 * the stage keeps stages apart (the functions' IAM allows `brg-<stage>-*` only).
 */
export function jobDefinitionName(stage: string, image: string, hash: string): string {
  const prefix = `${JOB_DEFINITION_PREFIX}${sanitise(stage)}-`;
  const room = MAX_NAME - prefix.length - 1 - HASH_LENGTH;
  const readable = sanitise(image).slice(0, Math.max(room, 0)).replace(/-+$/, '');
  return `${prefix}${readable}-${hash.slice(0, HASH_LENGTH)}`;
}

/**
 * A job name derived from the image when the caller gives none: the repository's last path
 * component and the tag (`alpine-3-20`), or the first 12 hex of the digest; Batch job-name rules.
 */
export function defaultJobName(image: ImageReference): string {
  const last = image.repository.split('/').pop() ?? image.repository;
  const version = image.tag ?? image.digest?.split(':').pop()?.slice(0, HASH_LENGTH) ?? 'latest';
  // A repository path component starts with [a-z0-9], so the name starts as Batch requires.
  return sanitise(`${last}-${version}`).slice(0, MAX_NAME).replace(/-+$/, '');
}

/**
 * The value of the caller tag: the IAM identity as AWS tag characters allow (a session name may
 * hold a comma, tags may not), at most 256 characters.
 */
export function callerTagValue(userArn: string | undefined): string {
  const value = (userArn ?? 'unknown').replace(/[^\p{L}\p{Z}\p{N}+\-=._:/@]/gu, '_');
  // Cut by code points: a split surrogate pair is not valid UTF-8, and AWS would refuse the tag.
  return Array.from(value).slice(0, 256).join('') || 'unknown';
}

function sanitise(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '');
}
