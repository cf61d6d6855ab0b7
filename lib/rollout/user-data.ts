import bootScript from '../../userdata/boot.sh';

export interface UserDataInput {
  /** The secret's full ARN. */
  readonly secretArn: string;
  /** The secret version the instances read: pinned by id, or (only for the stack's first launch template version) by stage. */
  readonly secretVersion: { readonly versionId: string } | { readonly versionStage: 'AWSCURRENT' };
}

/** EC2's limit for user data, in bytes, before base64 encoding. AWS Batch adds its own part to ours. */
export const USER_DATA_MAX_BYTES = 16384;

/** The MIME boundary of the document; never occurs in the boot script. */
export const USER_DATA_BOUNDARY = '==BRG_REGISTRY_AUTH_BOUNDARY==';

/** cloud-init executes a shell script part directly. The template has no "#!" line of its own
 * because jest strips one from every file it loads, while esbuild's text loader keeps it. */
const SHEBANG = '#!/bin/bash\n';

/** A full Secrets Manager secret ARN (name plus the six-character suffix Secrets Manager adds). */
const SECRET_ARN =
  /^arn:aws(-[a-z]+)*:secretsmanager:[a-z]+(-[a-z]+)*-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}$/;
/** Secrets Manager version ids (ClientRequestToken): 32-64 characters. */
const SECRET_VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;

/** The input cannot be rendered safely. The message names the rule, never the value. */
export class UserDataInputError extends Error {
  override readonly name = 'UserDataInputError';
}

/**
 * The boot script without its comment-only lines (pure): they explain the template to its readers
 * and cost an instance's user data budget (16 KB, shared with the part AWS Batch adds). A line
 * whose first non-blank character is `#` is a comment in shell and in the script's one jq program.
 */
export function withoutCommentLines(script: string): string {
  return script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
}

function substitute(template: string, placeholder: string, value: string): string {
  const parts = template.split(placeholder);
  if (parts.length !== 2) {
    throw new UserDataInputError(`the boot script template must hold ${placeholder} exactly once`);
  }
  return parts.join(value);
}

/**
 * Renders the MIME multi-part boot user data (plain text, not base64): one `text/x-shellscript`
 * part, userdata/boot.sh, naming the secret ARN and the version the instance reads at boot.
 * Holds no credential. The ARN and version id are checked against their AWS alphabets before they
 * go into single-quoted shell assignments, so no value can break out of them. Throws
 * UserDataInputError for a malformed input, or when the document would exceed USER_DATA_MAX_BYTES.
 */
export function renderUserData(input: UserDataInput): string {
  if (!SECRET_ARN.test(input.secretArn)) {
    throw new UserDataInputError('secretArn must be a full Secrets Manager secret ARN');
  }
  let versionId = '';
  let versionStage = '';
  if ('versionId' in input.secretVersion) {
    if (!SECRET_VERSION_ID.test(input.secretVersion.versionId)) {
      throw new UserDataInputError(
        'secretVersion.versionId must be 32-64 characters of A-Z, a-z, 0-9 and "-"',
      );
    }
    versionId = input.secretVersion.versionId;
  } else {
    if (input.secretVersion.versionStage !== 'AWSCURRENT') {
      throw new UserDataInputError('secretVersion.versionStage must be AWSCURRENT');
    }
    versionStage = 'AWSCURRENT';
  }
  let script = `${SHEBANG}${withoutCommentLines(bootScript)}`;
  script = substitute(script, '@@SECRET_ARN@@', input.secretArn);
  script = substitute(script, '@@SECRET_VERSION_ID@@', versionId);
  script = substitute(script, '@@SECRET_VERSION_STAGE@@', versionStage);
  if (script.includes(USER_DATA_BOUNDARY)) {
    throw new UserDataInputError('the boot script must not contain the MIME boundary');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the part is declared us-ascii
  if (!/^[\u0000-\u007f]*$/.test(script)) {
    throw new UserDataInputError('the boot script must be US-ASCII');
  }
  const document = [
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${USER_DATA_BOUNDARY}"`,
    '',
    `--${USER_DATA_BOUNDARY}`,
    'Content-Type: text/x-shellscript; charset="us-ascii"',
    '',
    script.endsWith('\n') ? script : `${script}\n`,
    `--${USER_DATA_BOUNDARY}--`,
    '',
  ].join('\n');
  if (userDataByteLength(document) > USER_DATA_MAX_BYTES) {
    throw new UserDataInputError(`the user data exceeds ${USER_DATA_MAX_BYTES} bytes`);
  }
  return document;
}

/** Size of a rendered document in bytes, as EC2 counts it (before base64). */
export function userDataByteLength(document: string): number {
  return Buffer.byteLength(document, 'utf8');
}

/** Base64 of a rendered document: the form `CreateLaunchTemplateVersion`'s `UserData` takes. */
export function encodeUserData(document: string): string {
  return Buffer.from(document, 'utf8').toString('base64');
}
