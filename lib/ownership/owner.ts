import { createHash } from 'node:crypto';

/**
 * Job ownership (SPEC §14), pure: who owns a job, who may read it. No AWS call: the owner is a tag
 * the job carries from SubmitJob on, and DescribeJobs returns it with the job.
 */

/** Tag on every submitted job: the submitting caller's owner key (encoded by ownerTagValue). */
export const OWNER_TAG_KEY = 'batch-registry-gateway:owner';

/** The caller of every request when IAM is off (`npm start`) and BRG_LOCAL_CALLER is not set. */
export const DEFAULT_LOCAL_CALLER = 'arn:aws:iam::123456789012:user/local';

/** Who is asking: the owner key of its principal, and whether it may read every job. */
export interface Caller {
  /** The IAM principal as the request carried it (with the session, for an assumed role). */
  readonly principalArn: string;
  /** The principal without the session (SPEC §14). */
  readonly ownerKey: string;
  /** Listed in ADMIN_PRINCIPALS. */
  readonly admin: boolean;
}

const PARTITION = 'aws[a-z-]*';
const ACCOUNT = '\\d{12}';
const ASSUMED_ROLE = new RegExp(`^arn:(${PARTITION}):sts::(${ACCOUNT}):assumed-role/([^/]+)(?:/.*)?$`);
const ROLE = new RegExp(`^arn:(${PARTITION}):iam::(${ACCOUNT}):role/(?:.*/)?([^/]+)$`);
/** A principal IAM puts in `userArn`: a user (with a path), root, or a federated user. */
const OTHER_PRINCIPAL = new RegExp(
  `^arn:${PARTITION}:(?:iam::${ACCOUNT}:(?:root|user/[\\x21-\\x7e]+)|sts::${ACCOUNT}:federated-user/[\\x21-\\x7e]+)$`,
);

/**
 * The owner key of an IAM principal: `arn:P:sts::A:assumed-role/R/S` loses its session (`…/R`);
 * every other principal (a user, root, a federated user) is its own key.
 */
export function ownerKeyOf(principalArn: string): string {
  const assumed = ASSUMED_ROLE.exec(principalArn);
  if (!assumed) return principalArn;
  const [, partition, account, role] = assumed;
  return `arn:${partition}:sts::${account}:assumed-role/${role}`;
}

/**
 * The owner key an ADMIN_PRINCIPALS entry stands for: a role ARN (any path, any partition) becomes
 * the assumed-role form STS reports (the path dropped, as STS drops it); an assumed-role ARN loses
 * any session; a user, root or federated-user ARN stays as it is. Undefined for anything else.
 */
export function adminOwnerKey(entry: string): string | undefined {
  const role = ROLE.exec(entry);
  if (role) {
    const [, partition, account, name] = role;
    return `arn:${partition}:sts::${account}:assumed-role/${name}`;
  }
  if (ASSUMED_ROLE.test(entry)) return ownerKeyOf(entry);
  return OTHER_PRINCIPAL.test(entry) ? entry : undefined;
}

/** Longest AWS tag value. */
const MAX_TAG_VALUE = 256;
/** Characters a tag value may hold as they are; `=` is the escape character, so it is escaped too. */
const PLAIN = /[A-Za-z0-9+\-._:/@]/;

/**
 * The owner tag's value for an owner key, injective: characters AWS tags refuse (`,` may be in an
 * IAM name; a user path may hold any printable ASCII) and `=` become `=XX` (UTF-8 hex). A value
 * that would pass 256 characters keeps its first 185 and appends `==` and the key's SHA-256.
 */
export function ownerTagValue(ownerKey: string): string {
  let encoded = '';
  for (const character of ownerKey) {
    encoded += PLAIN.test(character)
      ? character
      : [...Buffer.from(character, 'utf8')]
          .map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`)
          .join('');
  }
  if (encoded.length <= MAX_TAG_VALUE) return encoded;
  const digest = createHash('sha256').update(ownerKey).digest('hex');
  return `${encoded.slice(0, 185).replace(/=[0-9A-F]?$/, '')}==${digest}`;
}

/**
 * Whether a caller may read (and cancel) a job with these tags: its owner, or an admin. A job
 * without an owner tag (submitted before ownership, or not through the gateway) is for admins only.
 */
export function canRead(jobTags: Readonly<Record<string, string>> | undefined, caller: Caller): boolean {
  if (caller.admin) return true;
  const owner = jobTags?.[OWNER_TAG_KEY];
  return owner !== undefined && owner === ownerTagValue(caller.ownerKey);
}
