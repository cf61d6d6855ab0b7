import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeUserData,
  renderUserData,
  USER_DATA_MAX_BYTES,
  type UserDataInput,
  UserDataInputError,
  userDataByteLength,
  withoutCommentLines,
} from '../../../lib/rollout/user-data';
import bootScript from '../../../userdata/boot.sh';
import { cloudInitParts, parseMultipart } from '../../userdata/mime';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:batch/registry-credentials-AbC123';
const VERSION_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const pinned: UserDataInput = { secretArn: ARN, secretVersion: { versionId: VERSION_ID } };

function shellPart(document: string): string {
  const [part] = parseMultipart(document).parts;
  if (!part) throw new Error('no part');
  return part.body;
}

describe('renderUserData', () => {
  it('renders a multipart/mixed document with one us-ascii shell script part', () => {
    const document = renderUserData(pinned);

    const parsed = parseMultipart(document);

    expect(parsed.headers['mime-version']).toBe('1.0');
    expect(parsed.headers['content-type']).toBe(`multipart/mixed; boundary="${parsed.boundary}"`);
    expect(parsed.parts.map((part) => part.headers['content-type'])).toEqual([
      'text/x-shellscript; charset="us-ascii"',
    ]);
    expect(shellPart(document).startsWith('#!/bin/bash\n')).toBe(true);
    expect(parsed.epilogue).toBe('\n');
  });

  it('gives cloud-init exactly one shell script, the same one, and no cloud-config to validate', () => {
    const document = renderUserData(pinned);

    const parts = cloudInitParts(document);

    expect(parts).toEqual([{ type: 'text/x-shellscript', payload: shellPart(document) }]);
  });

  it('stays under the EC2 user data limit with 4 KB left for the part AWS Batch adds', () => {
    const document = renderUserData(pinned);

    const size = userDataByteLength(document);

    expect(size).toBeLessThan(USER_DATA_MAX_BYTES - 4096);
    expect(Buffer.from(encodeUserData(document), 'base64').toString('utf8')).toBe(document);
  });

  it('names the secret ARN and pins the version id in single-quoted assignments', () => {
    const script = shellPart(renderUserData(pinned));

    expect(script).toContain(`SECRET_ARN='${ARN}'\n`);
    expect(script).toContain(`SECRET_VERSION_ID='${VERSION_ID}'\n`);
    expect(script).toContain(`SECRET_VERSION_STAGE=''\n`);
    expect(script).not.toMatch(/@@[A-Z_]+@@/);
  });

  it('names the AWSCURRENT stage and no version id for the first launch template version', () => {
    const script = shellPart(
      renderUserData({ secretArn: ARN, secretVersion: { versionStage: 'AWSCURRENT' } }),
    );

    expect(script).toContain(`SECRET_VERSION_ID=''\n`);
    expect(script).toContain(`SECRET_VERSION_STAGE='AWSCURRENT'\n`);
  });

  it('leaves the whole-line comments of the template out of the user data, keeping every command', () => {
    const script = shellPart(renderUserData(pinned));
    const commands = (text: string) => text.split('\n').filter((line) => !/^\s*#/.test(line) && line !== '');
    const template = bootScript
      .replace('@@SECRET_ARN@@', ARN)
      .replace('@@SECRET_VERSION_ID@@', VERSION_ID)
      .replace('@@SECRET_VERSION_STAGE@@', '');

    expect(script.split('\n').filter((line) => /^\s*#/.test(line))).toEqual(['#!/bin/bash']);
    expect(commands(script)).toEqual(commands(template));
  });

  it('renders a shell part that bash parses (bash -n)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brg-user-data-'));
    try {
      const file = join(dir, 'boot.sh');
      writeFileSync(file, shellPart(renderUserData(pinned)));

      const result = spawnSync('bash', ['-n', file], { encoding: 'utf8' });

      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds no credential: no Authorization, password value or secret string', () => {
    const document = renderUserData(pinned);

    expect(document).not.toMatch(/SecretString\s*[:=]\s*["']?\{/);
    expect(document).not.toMatch(/ECS_ENGINE_AUTH_DATA=\{/);
    expect(document).not.toMatch(/authorization:/i);
  });

  it.each([
    ['arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b_c+d=e.f@g-h-xYz789'],
    ['arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:registry-AbCdEf'],
  ])('accepts the secret ARN %s', (secretArn) => {
    expect(shellPart(renderUserData({ ...pinned, secretArn }))).toContain(`SECRET_ARN='${secretArn}'\n`);
  });

  it.each([
    ['a bare name', 'registry-credentials'],
    [
      'a partial ARN without the random suffix',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry',
    ],
    ['another service', 'arn:aws:ssm:eu-west-1:123456789012:parameter:registry-AbC123'],
    ['a quote', "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x'$(reboot)'-AbC123"],
    ['a command substitution', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:$(reboot)-AbC123'],
    ['a newline', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x\nreboot-AbC123'],
    ['a short account', 'arn:aws:secretsmanager:eu-west-1:12345:secret:registry-AbC123'],
  ])('rejects a secret ARN that is %s', (_case, secretArn) => {
    expect(() => renderUserData({ ...pinned, secretArn })).toThrow(
      new UserDataInputError('secretArn must be a full Secrets Manager secret ARN'),
    );
  });

  it.each([
    ['too short', 'a'.repeat(31)],
    ['too long', 'a'.repeat(65)],
    ['a quote', `${'a'.repeat(32)}'`],
    ['a space', `${'a'.repeat(32)} x`],
    ['a semicolon', `${'a'.repeat(32)};reboot`],
  ])('rejects a version id that is %s', (_case, versionId) => {
    expect(() => renderUserData({ ...pinned, secretVersion: { versionId } })).toThrow(UserDataInputError);
  });

  it('rejects a stage other than AWSCURRENT even from untyped callers', () => {
    const secretVersion = JSON.parse('{"versionStage":"AWSPENDING"}') as UserDataInput['secretVersion'];

    expect(() => renderUserData({ secretArn: ARN, secretVersion })).toThrow(
      new UserDataInputError('secretVersion.versionStage must be AWSCURRENT'),
    );
  });

  it('does not quote the rejected value in its error message', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:leak me please';

    const thrown = (() => {
      try {
        renderUserData({ ...pinned, secretArn });
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    expect(thrown).toBeInstanceOf(UserDataInputError);
    expect(thrown instanceof Error && thrown.message).not.toContain('leak me please');
  });
});

describe('withoutCommentLines', () => {
  it('drops comment-only lines and keeps code, including a # inside a line', () => {
    const script = ['# about', 'set -e', '  # indented note', 'echo "a # b" # trailing', ''].join('\n');

    expect(withoutCommentLines(script)).toBe(['set -e', 'echo "a # b" # trailing', ''].join('\n'));
  });
});
