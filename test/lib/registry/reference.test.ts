import {
  formatImageReference,
  ImageReferenceError,
  MAX_REFERENCE_LENGTH,
  parseImageReference,
} from '../../../lib/registry/reference';

const SHA256 = 'a'.repeat(64);
const SHA256_B = '0123456789abcdef'.repeat(4);
const SHA512 = 'b'.repeat(128);

interface Valid {
  readonly input: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest?: string;
}

// Each name cites the rule of the distribution reference grammar (reference.go / regexp.go) it exercises.
const valid: ReadonlyArray<[string, Valid]> = [
  [
    'docker hub: one component gets library/ and tag latest',
    { input: 'alpine', registry: 'docker.io', repository: 'library/alpine', tag: 'latest' },
  ],
  [
    'docker hub: two components stay as written',
    { input: 'team/app', registry: 'docker.io', repository: 'team/app', tag: 'latest' },
  ],
  [
    'docker hub: explicit tag',
    { input: 'alpine:3.20', registry: 'docker.io', repository: 'library/alpine', tag: '3.20' },
  ],
  [
    'docker hub: docker.io domain',
    { input: 'docker.io/alpine', registry: 'docker.io', repository: 'library/alpine', tag: 'latest' },
  ],
  [
    'docker hub: docker.io/library kept',
    {
      input: 'docker.io/library/alpine:edge',
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: 'edge',
    },
  ],
  [
    'docker hub: index.docker.io is docker.io',
    { input: 'index.docker.io/alpine', registry: 'docker.io', repository: 'library/alpine', tag: 'latest' },
  ],
  [
    'docker hub: registry-1.docker.io is docker.io',
    { input: 'registry-1.docker.io/team/app:v1', registry: 'docker.io', repository: 'team/app', tag: 'v1' },
  ],
  [
    'docker hub: three components',
    { input: 'a/b/c', registry: 'docker.io', repository: 'a/b/c', tag: 'latest' },
  ],
  [
    'domain rule: first component with "." is a registry',
    { input: 'ghcr.io/org/app:1.0', registry: 'ghcr.io', repository: 'org/app', tag: '1.0' },
  ],
  [
    'domain rule: first component with ":" (port) is a registry',
    { input: 'registry:5000/app', registry: 'registry:5000', repository: 'app', tag: 'latest' },
  ],
  [
    'domain rule: localhost is a registry',
    { input: 'localhost/app', registry: 'localhost', repository: 'app', tag: 'latest' },
  ],
  [
    'domain rule: localhost with a port',
    { input: 'localhost:5000/app:dev', registry: 'localhost:5000', repository: 'app', tag: 'dev' },
  ],
  [
    'domain rule: no "/" means no registry, so localhost:5000 is repository localhost with tag 5000',
    { input: 'localhost:5000', registry: 'docker.io', repository: 'library/localhost', tag: '5000' },
  ],
  [
    'domain rule: non-docker registry gets no library/',
    { input: 'quay.io/app', registry: 'quay.io', repository: 'app', tag: 'latest' },
  ],
  [
    'domain rule: evil.com/docker.io/x has registry evil.com and path docker.io/x',
    { input: 'evil.com/docker.io/x', registry: 'evil.com', repository: 'docker.io/x', tag: 'latest' },
  ],
  [
    'domain-component: upper case host is lowercased',
    { input: 'GHCR.IO/org/app', registry: 'ghcr.io', repository: 'org/app', tag: 'latest' },
  ],
  [
    'domain-component: hyphen inside',
    {
      input: 'my-registry.example.com/app',
      registry: 'my-registry.example.com',
      repository: 'app',
      tag: 'latest',
    },
  ],
  [
    'domain-component: single characters',
    { input: 'a.b/app', registry: 'a.b', repository: 'app', tag: 'latest' },
  ],
  [
    'host: IPv4 address with port',
    { input: '10.0.0.5:5000/app:1', registry: '10.0.0.5:5000', repository: 'app', tag: '1' },
  ],
  [
    'host: IPv6 in brackets with port',
    { input: '[::1]:5000/app', registry: '[::1]:5000', repository: 'app', tag: 'latest' },
  ],
  [
    'host: IPv6 in brackets without port',
    { input: '[fe80::1]/team/app:v2', registry: '[fe80::1]', repository: 'team/app', tag: 'v2' },
  ],
  [
    'host: IPv6 upper case is lowercased',
    { input: '[FE80::1]:443/app', registry: '[fe80::1]:443', repository: 'app', tag: 'latest' },
  ],
  [
    'port-number: 65535',
    { input: 'example.com:65535/app', registry: 'example.com:65535', repository: 'app', tag: 'latest' },
  ],
  [
    'separator: single "."',
    { input: 'ghcr.io/org/my.app', registry: 'ghcr.io', repository: 'org/my.app', tag: 'latest' },
  ],
  [
    'separator: single "_"',
    { input: 'ghcr.io/org/my_app', registry: 'ghcr.io', repository: 'org/my_app', tag: 'latest' },
  ],
  [
    'separator: double "__"',
    { input: 'ghcr.io/org/my__app', registry: 'ghcr.io', repository: 'org/my__app', tag: 'latest' },
  ],
  [
    'separator: one "-"',
    { input: 'ghcr.io/org/my-app', registry: 'ghcr.io', repository: 'org/my-app', tag: 'latest' },
  ],
  [
    'separator: a run of "-"',
    { input: 'ghcr.io/org/my---app', registry: 'ghcr.io', repository: 'org/my---app', tag: 'latest' },
  ],
  [
    'separator: several in one component',
    { input: 'ghcr.io/a.b_c__d-e--f', registry: 'ghcr.io', repository: 'a.b_c__d-e--f', tag: 'latest' },
  ],
  [
    'alpha-numeric: digits only',
    { input: 'ghcr.io/123/456', registry: 'ghcr.io', repository: '123/456', tag: 'latest' },
  ],
  [
    'path: many components',
    {
      input: 'gitlab.example.com/g/sub/sub2/app:1',
      registry: 'gitlab.example.com',
      repository: 'g/sub/sub2/app',
      tag: '1',
    },
  ],
  [
    'tag: single character',
    { input: 'alpine:a', registry: 'docker.io', repository: 'library/alpine', tag: 'a' },
  ],
  [
    'tag: may start with "_"',
    { input: 'alpine:_x', registry: 'docker.io', repository: 'library/alpine', tag: '_x' },
  ],
  [
    'tag: upper case allowed',
    { input: 'alpine:Latest-RC.1', registry: 'docker.io', repository: 'library/alpine', tag: 'Latest-RC.1' },
  ],
  [
    'tag: 128 characters',
    {
      input: `alpine:${'t'.repeat(128)}`,
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: 't'.repeat(128),
    },
  ],
  [
    'tag: with a registry port in the name',
    { input: 'localhost:5000/app:5000', registry: 'localhost:5000', repository: 'app', tag: '5000' },
  ],
  [
    'digest: sha256 only, tag stays undefined',
    {
      input: `alpine@sha256:${SHA256}`,
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: undefined,
      digest: `sha256:${SHA256}`,
    },
  ],
  [
    'digest: sha512 with 128 hex digits',
    {
      input: `ghcr.io/a/b@sha512:${SHA512}`,
      registry: 'ghcr.io',
      repository: 'a/b',
      tag: undefined,
      digest: `sha512:${SHA512}`,
    },
  ],
  [
    'digest: sha384 with 96 hex digits',
    {
      input: `ghcr.io/a/b@sha384:${'c'.repeat(96)}`,
      registry: 'ghcr.io',
      repository: 'a/b',
      tag: undefined,
      digest: `sha384:${'c'.repeat(96)}`,
    },
  ],
  [
    'reference: tag and digest together',
    {
      input: `ghcr.io/a/b:v1@sha256:${SHA256_B}`,
      registry: 'ghcr.io',
      repository: 'a/b',
      tag: 'v1',
      digest: `sha256:${SHA256_B}`,
    },
  ],
  [
    'reference: digest with a registry port',
    {
      input: `localhost:5000/app@sha256:${SHA256}`,
      registry: 'localhost:5000',
      repository: 'app',
      tag: undefined,
      digest: `sha256:${SHA256}`,
    },
  ],
  [
    'identifier: 64 hex digits with a registry are a normal name',
    { input: `ghcr.io/${SHA256}`, registry: 'ghcr.io', repository: SHA256, tag: 'latest' },
  ],
  [
    'name total length: exactly 255 characters',
    {
      input: `ghcr.io/${'a'.repeat(247)}`,
      registry: 'ghcr.io',
      repository: 'a'.repeat(247),
      tag: 'latest',
    },
  ],
];

// Each message fragment is what the caller needs to see to fix the reference.
const invalid: ReadonlyArray<[string, string, string | RegExp]> = [
  ['empty input', '', 'is empty'],
  ['over the input length limit', 'a'.repeat(MAX_REFERENCE_LENGTH + 1), 'the limit is 512'],
  ['control character (NUL)', 'alpine\u0000', 'control characters'],
  ['control character (newline)', 'alpine\n:latest', 'control characters'],
  ['control character (escape)', '\u001b[31malpine', 'control characters'],
  ['whitespace (space)', 'alpine latest', 'whitespace'],
  ['whitespace (leading)', ' alpine', 'whitespace'],
  ['unicode look-alike: Cyrillic "а" in the name', 'аlpine', 'non-ASCII'],
  ['unicode look-alike: Cyrillic "о" in the registry', 'ghcr.iо/org/app', 'non-ASCII'],
  ['unicode look-alike: full-width colon', 'alpine：latest', 'non-ASCII'],
  ['unicode: zero-width space', 'alp\u200bine', 'whitespace|non-ASCII'],
  ['unicode: non-breaking space', 'alpine\u00a0', 'whitespace'],
  ['"@" before a registry: docker.io@evil.com/x', 'docker.io@evil.com/x', '"@" may only introduce a digest'],
  ['"@" as user info: user@ghcr.io/x', 'user@ghcr.io/x', '"@" may only introduce a digest'],
  ['two "@"', `a@sha256:${SHA256}@sha256:${SHA256}`, 'more than one "@"'],
  ['URL scheme https://', 'https://ghcr.io/org/app', 'URL scheme'],
  ['URL scheme http://', 'http://localhost:5000/app', 'URL scheme'],
  ['uppercase repository (docker hub)', 'Alpine', 'must be lowercase'],
  ['uppercase repository with registry', 'ghcr.io/Org/app', 'must be lowercase'],
  ['uppercase first component without "." is not a registry', 'Foo/bar', 'must be lowercase'],
  ['path-component: leading separator', 'ghcr.io/-app', 'path component'],
  ['path-component: trailing separator', 'ghcr.io/app-', 'path component'],
  ['separator: "..." is not a separator', 'ghcr.io/a..b', 'path component'],
  ['separator: "___" is not a separator', 'ghcr.io/a___b', 'path component'],
  ['separator: "._" is not a separator', 'ghcr.io/a._b', 'path component'],
  ['path-component: leading "_"', '_app', 'path component'],
  ['path-component: empty (double slash)', 'ghcr.io//app', 'empty path component'],
  ['path-component: trailing slash', 'ghcr.io/app/', 'empty path component'],
  ['path-component: leading slash', '/app', 'empty path component'],
  ['path-component: disallowed character "+"', 'ghcr.io/a+b', 'path component'],
  ['path-component: disallowed character "%"', 'ghcr.io/a%2fb', 'path component'],
  ['path: registry only, no repository', 'ghcr.io/', 'empty path component'],
  ['name: nothing before a tag', ':latest', 'no repository name'],
  ['name: nothing before a digest', `@sha256:${SHA256}`, 'no repository name'],
  ['tag: empty after ":"', 'alpine:', 'empty tag'],
  ['tag: starts with "."', 'alpine:.x', 'tag'],
  ['tag: starts with "-"', 'alpine:-x', 'tag'],
  ['tag: 129 characters', `alpine:${'t'.repeat(129)}`, 'the limit is 128'],
  ['tag: disallowed character "+"', 'alpine:1+2', 'tag'],
  ['tag: a second ":"', 'alpine:1:2', 'tag'],
  ['digest: empty after "@"', 'alpine@', 'digest must be "algorithm:hex"'],
  ['digest: missing algorithm', `alpine@${SHA256}`, 'digest must be "algorithm:hex"'],
  ['digest: sha256 with 63 hex digits', `alpine@sha256:${'a'.repeat(63)}`, 'exactly 64'],
  ['digest: sha256 with 65 hex digits', `alpine@sha256:${'a'.repeat(65)}`, 'exactly 64'],
  ['digest: sha256 upper-case hex', `alpine@sha256:${'A'.repeat(64)}`, 'lowercase hex'],
  ['digest: sha512 with 64 hex digits', `alpine@sha512:${SHA256}`, 'exactly 128'],
  ['digest: upper-case known algorithm', `alpine@SHA256:${SHA256}`, 'must be written in lowercase'],
  [
    'digest: unregistered algorithm (grammar-valid)',
    `ghcr.io/a/b@multihash+base58:${'d'.repeat(32)}`,
    'algorithm "multihash',
  ],
  [
    'digest: sha1 (unregistered)',
    `alpine@sha1:${'a'.repeat(40)}`,
    'algorithm "sha1" is not supported; use sha256, sha384 or sha512',
  ],
  ['digest: blake3 (unregistered)', `alpine@blake3:${'a'.repeat(64)}`, 'not supported'],
  ['digest: hex under 32 digits (grammar minimum)', `alpine@md5:${'a'.repeat(31)}`, 'digest must be'],
  ['digest: non-hex digits', `alpine@sha256:${'g'.repeat(64)}`, 'digest must be'],
  ['digest: algorithm starting with a digit', `alpine@1sha:${'a'.repeat(64)}`, 'digest must be'],
  ['digest: tag after the digest', `alpine@sha256:${SHA256}:v1`, 'digest must be'],
  ['domain-component: starts with "-"', '-bad.example.com/app', 'host name'],
  ['domain-component: ends with "-"', 'bad-.example.com/app', 'host name'],
  ['domain-component: empty (double dot)', 'bad..example.com/app', 'host name'],
  ['domain-component: underscore', 'my_reg.example.com/app', 'host name'],
  ['port-number: empty', 'example.com:/app', 'not a host or host:port'],
  ['port-number: not digits', 'example.com:abc/app', 'not a host or host:port'],
  ['port-number: 0', 'example.com:0/app', 'port outside 1-65535'],
  ['port-number: 65536', 'example.com:65536/app', 'port outside 1-65535'],
  ['port-number: two ports', 'example.com:1:2/app', 'not a host or host:port'],
  ['host: IPv6 without brackets', '::1/app', 'not a host or host:port'],
  ['host: IPv6 bracket not closed', '[::1:5000/app', 'not a host or host:port'],
  ['host: brackets without an IPv6 address', '[abc]:5000/app', 'not an IPv6 address'],
  ['domain rule: "[abc]" has no "." or ":", so it is a (bad) path component', '[abc]/app', 'path component'],
  ['identifier: 64 hex digits alone is an image id', SHA256, 'image id'],
  ['name total length: 256 characters', `ghcr.io/${'a'.repeat(248)}`, 'the limit is 255'],
  ['name total length: docker hub library/ counts', 'a'.repeat(248), 'the limit is 255'],
];

describe('parseImageReference', () => {
  it.each(valid)('accepts %s', (_rule, expected) => {
    // prepare
    const digest = expected.digest;

    // act
    const ref = parseImageReference(expected.input);

    // assert
    expect(ref).toEqual({
      registry: expected.registry,
      repository: expected.repository,
      tag: expected.tag,
      digest,
      normalised: `${expected.registry}/${expected.repository}${expected.tag === undefined ? '' : `:${expected.tag}`}${digest === undefined ? '' : `@${digest}`}`,
    });
  });

  it.each(invalid)('rejects %s', (_rule, input, message) => {
    // act
    const act = () => parseImageReference(input);

    // assert
    expect(act).toThrow(ImageReferenceError);
    expect(act).toThrow(typeof message === 'string' ? new RegExp(message) : message);
  });

  it('keeps the message short and does not echo a huge input', () => {
    // prepare
    const huge = `ghcr.io/${'x'.repeat(100_000)}`;

    // act
    const act = () => parseImageReference(huge);

    // assert
    expect(act).toThrow(ImageReferenceError);
    expect(() => parseImageReference(huge)).toThrow(/^.{1,200}$/s);
  });

  it('quotes at most a bounded excerpt of a long component', () => {
    // prepare
    const input = `ghcr.io/${'B'.repeat(200)}`;

    // act
    let message = '';
    try {
      parseImageReference(input);
    } catch (error) {
      if (error instanceof ImageReferenceError) message = error.message;
    }

    // assert
    expect(message).toMatch(/must be lowercase/);
    expect(message).not.toContain('B'.repeat(40));
    expect(message.length).toBeLessThan(200);
  });

  it('names the rule in an ImageReferenceError with its name set', () => {
    // act
    let caught: unknown;
    try {
      parseImageReference('docker.io@evil.com/x');
    } catch (error) {
      caught = error;
    }

    // assert
    expect(caught).toBeInstanceOf(ImageReferenceError);
    expect(caught).toHaveProperty('name', 'ImageReferenceError');
  });
});

describe('formatImageReference', () => {
  it.each(valid)('round-trips parse(format(parse(x))) for %s', (_rule, expected) => {
    // prepare
    const first = parseImageReference(expected.input);

    // act
    const again = parseImageReference(formatImageReference(first));

    // assert
    expect(again).toEqual(first);
    expect(formatImageReference(again)).toBe(first.normalised);
  });

  it('writes registry/repository:tag@digest', () => {
    // act
    const text = formatImageReference({
      registry: 'ghcr.io',
      repository: 'a/b',
      tag: 'v1',
      digest: `sha256:${SHA256}`,
    });

    // assert
    expect(text).toBe(`ghcr.io/a/b:v1@sha256:${SHA256}`);
  });
});
