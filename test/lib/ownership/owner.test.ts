import fc from 'fast-check';
import {
  adminOwnerKey,
  type Caller,
  canRead,
  OWNER_TAG_KEY,
  ownerKeyOf,
  ownerTagValue,
} from '../../../lib/ownership/owner';

const ROLE_OWNER = 'arn:aws:sts::123456789012:assumed-role/job-submitter';

describe('ownerKeyOf', () => {
  it.each([
    ['an assumed role loses its session', `${ROLE_OWNER}/pipeline-run-42`, ROLE_OWNER],
    ['a session name holding @ and =', `${ROLE_OWNER}/alice@example.com=x`, ROLE_OWNER],
    [
      'another partition',
      'arn:aws-us-gov:sts::123456789012:assumed-role/R/s',
      'arn:aws-us-gov:sts::123456789012:assumed-role/R',
    ],
    [
      'a user stays as it is',
      'arn:aws:iam::123456789012:user/team/ci',
      'arn:aws:iam::123456789012:user/team/ci',
    ],
    ['root stays as it is', 'arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:root'],
    [
      'a federated user stays as it is',
      'arn:aws:sts::123456789012:federated-user/bob',
      'arn:aws:sts::123456789012:federated-user/bob',
    ],
  ])('%s', (_case, principal, expected) => {
    expect(ownerKeyOf(principal)).toBe(expected);
  });
});

describe('adminOwnerKey', () => {
  it.each([
    [
      'a role ARN',
      'arn:aws:iam::123456789012:role/gateway-admin',
      'arn:aws:sts::123456789012:assumed-role/gateway-admin',
    ],
    [
      'a role ARN with a path (dropped, as STS does)',
      'arn:aws:iam::123456789012:role/ops/team/admin',
      'arn:aws:sts::123456789012:assumed-role/admin',
    ],
    [
      'a China-partition role',
      'arn:aws-cn:iam::123456789012:role/admin',
      'arn:aws-cn:sts::123456789012:assumed-role/admin',
    ],
    ['an owner key as it is', ROLE_OWNER, ROLE_OWNER],
    ['an assumed role with a session', `${ROLE_OWNER}/s`, ROLE_OWNER],
    ['a user', 'arn:aws:iam::123456789012:user/auditor', 'arn:aws:iam::123456789012:user/auditor'],
    ['root', 'arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:root'],
  ])('normalises %s', (_case, entry, expected) => {
    expect(adminOwnerKey(entry)).toBe(expected);
  });

  it.each([
    ['a bare name', 'gateway-admin'],
    ['an account id', '123456789012'],
    ['a wildcard', 'arn:aws:iam::123456789012:role/*/'],
    ['a non-IAM ARN', 'arn:aws:s3:::bucket'],
    ['a short account', 'arn:aws:iam::1234:role/admin'],
  ])('refuses %s', (_case, entry) => {
    expect(adminOwnerKey(entry)).toBeUndefined();
  });
});

describe('ownerTagValue', () => {
  const TAG_VALUE = /^[\p{L}\p{Z}\p{N}+\-=._:/@]{0,256}$/u;

  it('keeps an ordinary owner key readable', () => {
    expect(ownerTagValue(ROLE_OWNER)).toBe(ROLE_OWNER);
  });

  it('escapes a comma (allowed in IAM names, not in tags) and the escape character itself', () => {
    expect(ownerTagValue('arn:aws:iam::123456789012:user/a,b=c')).toBe(
      'arn:aws:iam::123456789012:user/a=2Cb=3Dc',
    );
  });

  it('is a valid AWS tag value and injective for any principal-like text (properties)', () => {
    const text = fc.string({ unit: fc.constantFrom(...'ab,=_/:@.+-~!#%&*()[]{}é'), maxLength: 300 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(ownerTagValue(a)).toMatch(TAG_VALUE);
        if (a !== b) expect(ownerTagValue(a)).not.toBe(ownerTagValue(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('hashes a key that would pass 256 characters, keeping keys with a common prefix apart', () => {
    const long = `arn:aws:iam::123456789012:user/${'p/'.repeat(150)}`;

    const [a, b] = [ownerTagValue(`${long}a`), ownerTagValue(`${long}b`)];

    expect(a.length).toBeLessThanOrEqual(256);
    expect(a).toMatch(/==[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });
});

describe('canRead', () => {
  const caller = (ownerKey: string, admin = false): Caller => ({
    principalArn: `${ownerKey}/s`,
    ownerKey,
    admin,
  });

  it.each([
    ['its owner', { [OWNER_TAG_KEY]: ROLE_OWNER }, caller(ROLE_OWNER), true],
    [
      'another owner',
      { [OWNER_TAG_KEY]: ROLE_OWNER },
      caller('arn:aws:sts::123456789012:assumed-role/other'),
      false,
    ],
    [
      'an admin, for another owner',
      { [OWNER_TAG_KEY]: ROLE_OWNER },
      caller('arn:aws:iam::123456789012:root', true),
      true,
    ],
    ['its owner, when the job has no owner tag', {}, caller(ROLE_OWNER), false],
    ['its owner, when the job has no tags at all', undefined, caller(ROLE_OWNER), false],
    ['an admin, when the job has no owner tag', {}, caller(ROLE_OWNER, true), true],
    [
      'a caller whose key is the raw (unencoded) tag of an encoded owner',
      { [OWNER_TAG_KEY]: 'u/a=2Cb' },
      caller('u/a=2Cb'),
      false,
    ],
  ])('lets %s read the job: %s', (_case, tags, who, expected) => {
    expect(canRead(tags, who)).toBe(expected);
  });
});
