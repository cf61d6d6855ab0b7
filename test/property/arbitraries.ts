import fc from 'fast-check';

/**
 * Shared fast-check arbitraries for the hostile-input properties: image references built from the
 * distribution reference grammar's pieces (with the parse result they must give), an independent
 * regular expression of that grammar, and the hostile strings and mutations thrown at parsers.
 */

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A string of `minLength` to `maxLength` characters drawn from `alphabet`. */
export function charsFrom(alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
}

/** A run that is usually short and now and then long (fast-check's default sizes stay small). */
function shortOrLong(alphabet: string, short: number, long: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: charsFrom(alphabet, 1, short) },
    { weight: 1, arbitrary: charsFrom(alphabet, short, long) },
  );
}

// ---------------------------------------------------------------------------------------------
// The grammar, written independently of lib/registry/reference.ts (from the distribution spec).
// ---------------------------------------------------------------------------------------------

const ALPHA_NUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^${NAME}(?::${TAG})?(?:@${DIGEST})?$`);

/**
 * True when `input` is a reference by the distribution grammar (`name[:tag][@digest]`). The parser
 * may be stricter (ports, label lengths, digest lengths) but never laxer. The 255-character limit
 * applies to the normalised name (as Docker's ParseNormalizedNamed does), so it is not checked here.
 * Only call it on short inputs: the grammar's regular expression backtracks on long hostile ones.
 */
export function matchesReferenceGrammar(input: string): boolean {
  return REFERENCE.test(input);
}

// ---------------------------------------------------------------------------------------------
// Grammar-valid references, with the parse result each must give.
// ---------------------------------------------------------------------------------------------

/** A registry as written in a reference, and the normalised name it must become. */
export interface DomainPiece {
  readonly text: string;
  readonly registry: string;
}

/** The pieces of a reference; `text` joins them, `expected` is the normalised parse. */
export interface ReferenceParts {
  readonly domain: DomainPiece | undefined;
  readonly path: readonly string[];
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export interface ExpectedReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  readonly normalised: string;
}

/** separator := [_.] | __ | [-]+ */
const separatorArb = fc.oneof(fc.constantFrom('.', '_', '__'), charsFrom('-', 1, 3));

/** path-component := [a-z0-9]+ (separator [a-z0-9]+)*, now and then 64 hex digits (an image id). */
export const pathComponentArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .tuple(
        shortOrLong(LOWER + DIGITS, 10, 60),
        fc.array(fc.tuple(separatorArb, shortOrLong(LOWER + DIGITS, 10, 40)), { maxLength: 3 }),
      )
      .map(([head, rest]) => head + rest.map(([separator, run]) => separator + run).join('')),
  },
  { weight: 1, arbitrary: charsFrom(HEX, 64, 64) },
);

/** domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] (at most 12 characters here) */
const domainComponentArb = fc.oneof(
  charsFrom(LOWER + UPPER + DIGITS, 1, 1),
  fc
    .tuple(
      charsFrom(LOWER + UPPER + DIGITS, 1, 1),
      charsFrom(`${LOWER}${DIGITS}-`, 0, 10),
      charsFrom(LOWER + UPPER + DIGITS, 1, 1),
    )
    .map((parts) => parts.join('')),
);

/** A port of 1-65535, sometimes zero-padded to five digits. */
const portArb = fc
  .tuple(fc.integer({ min: 1, max: 65535 }), fc.boolean())
  .map(([port, padded]) => (padded ? String(port).padStart(5, '0') : String(port)));

const ipv6Arb = fc.oneof(
  fc.array(charsFrom(`${HEX}ABCDEF`, 1, 4), { minLength: 2, maxLength: 8 }).map((groups) => groups.join(':')),
  fc
    .tuple(fc.array(charsFrom(HEX, 1, 4), { maxLength: 3 }), fc.array(charsFrom(HEX, 1, 4), { maxLength: 3 }))
    .map(([left, right]) => `${left.join(':')}::${right.join(':')}`),
);

/** Hosts that the parser must take as a registry (they hold `.` or `:` or are `localhost`). */
const hostArb: fc.Arbitrary<{ host: string; needsPort: boolean }> = fc.oneof(
  fc
    .array(domainComponentArb, { minLength: 2, maxLength: 4 })
    .map((labels) => ({ host: labels.join('.'), needsPort: false })),
  fc.constant({ host: 'localhost', needsPort: false }),
  fc.mixedCase(fc.constantFrom(...DOCKER_HUB_ALIASES)).map((alias) => ({ host: alias, needsPort: false })),
  ipv6Arb.map((address) => ({ host: `[${address}]`, needsPort: false })),
  domainComponentArb.map((label) => ({ host: label, needsPort: true })),
);

/** Builds the domain piece for a host and optional port; the registry name is the lowercased `host[:port]`. */
export function domainPiece(host: string, port: string | undefined): DomainPiece {
  const text = port === undefined ? host : `${host}:${port}`;
  const lower = text.toLowerCase();
  return { text, registry: DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower };
}

/** Any registry the grammar allows in a reference. */
export const domainArb: fc.Arbitrary<DomainPiece> = fc
  .tuple(hostArb, fc.option(portArb, { freq: 3 }))
  .map(([{ host, needsPort }, port]) => domainPiece(host, port ?? (needsPort ? '5000' : undefined)));

/** tag := [\w][\w.-]{0,127} */
export const tagArb: fc.Arbitrary<string> = fc
  .tuple(
    charsFrom(`${LOWER}${UPPER}${DIGITS}_`, 1, 1),
    fc.oneof(
      { weight: 6, arbitrary: charsFrom(`${LOWER}${UPPER}${DIGITS}_.-`, 0, 20) },
      { weight: 1, arbitrary: charsFrom(`${LOWER}${UPPER}${DIGITS}_.-`, 100, 127) },
    ),
  )
  .map(([first, rest]) => first + rest);

/** sha256/384/512 digests with their exact lowercase lengths, or another algorithm with ≥ 32 hex digits. */
export const digestArb: fc.Arbitrary<string> = fc.oneof(
  charsFrom(HEX, 64, 64).map((hex) => `sha256:${hex}`),
  charsFrom(HEX, 96, 96).map((hex) => `sha384:${hex}`),
  charsFrom(HEX, 128, 128).map((hex) => `sha512:${hex}`),
  fc
    .tuple(
      charsFrom(LOWER + UPPER, 1, 1),
      charsFrom(LOWER + UPPER + DIGITS, 0, 6),
      fc.array(
        fc
          .tuple(charsFrom('-_+.', 1, 1), charsFrom(LOWER + UPPER, 1, 1), charsFrom(LOWER + DIGITS, 0, 4))
          .map((parts) => parts.join('')),
        { maxLength: 2 },
      ),
      charsFrom(`${HEX}ABCDEF`, 32, 80),
    )
    .map(([first, rest, more, hex]) => `${first}${rest}${more.join('')}:${hex}`)
    .filter((digest) => !/^sha(256|384|512):/i.test(digest)),
);

/**
 * Reference pieces from the grammar. Without a registry, a multi-component path's first component
 * holds no `.` and is not `localhost` (else it would be read as a registry).
 */
export function referencePartsArb(
  domain: fc.Arbitrary<DomainPiece | undefined>,
): fc.Arbitrary<ReferenceParts> {
  return fc
    .record({
      domain,
      path: fc.oneof(
        { weight: 6, arbitrary: fc.array(pathComponentArb, { minLength: 1, maxLength: 5 }) },
        // Near the 255-character name limit.
        { weight: 1, arbitrary: fc.array(charsFrom(LOWER + DIGITS, 40, 90), { minLength: 2, maxLength: 4 }) },
      ),
      tag: fc.option(tagArb, { nil: undefined }),
      digest: fc.option(digestArb, { nil: undefined, freq: 4 }),
    })
    .filter(
      ({ domain: given, path }) =>
        given !== undefined || path.length === 1 || !(path[0]?.includes('.') || path[0] === 'localhost'),
    );
}

/** Every grammar-valid shape: with any registry, or none (Docker Hub). */
export const anyReferencePartsArb = referencePartsArb(fc.option(domainArb, { nil: undefined, freq: 3 }));

/** The reference as text. */
export function referenceText(parts: ReferenceParts): string {
  const domain = parts.domain ? `${parts.domain.text}/` : '';
  const tag = parts.tag === undefined ? '' : `:${parts.tag}`;
  const digest = parts.digest === undefined ? '' : `@${parts.digest}`;
  return `${domain}${parts.path.join('/')}${tag}${digest}`;
}

/**
 * What parsing the reference must give, or undefined when a length rule, the image-id rule or the
 * registered-algorithm rule rejects it (input over 512 characters, name over 255, a registry-less
 * name of 64 hex digits, or a digest algorithm other than sha256/384/512).
 */
export function expectedReference(parts: ReferenceParts): ExpectedReference | undefined {
  const registry = parts.domain?.registry ?? 'docker.io';
  const path = parts.path.join('/');
  const repository = registry === 'docker.io' && parts.path.length === 1 ? `library/${path}` : path;
  const tag = parts.tag ?? (parts.digest === undefined ? 'latest' : undefined);
  const name = `${registry}/${repository}`;
  if (referenceText(parts).length > 512 || name.length > 255) return undefined;
  if (parts.domain === undefined && /^[a-f0-9]{64}$/.test(path)) return undefined;
  if (parts.digest !== undefined && !/^sha(256|384|512):/.test(parts.digest)) return undefined;
  const normalised = `${name}${tag === undefined ? '' : `:${tag}`}${parts.digest === undefined ? '' : `@${parts.digest}`}`;
  return { registry, repository, tag, digest: parts.digest, normalised };
}

// ---------------------------------------------------------------------------------------------
// Hostile strings and mutations.
// ---------------------------------------------------------------------------------------------

/** Characters that mean something to reference, URL, JSON and shell parsers. */
const GRAMMAR_CHARACTERS = `abcxyzAZ059._-/:@[]`;
const NASTY_ASCII = ` \t"'\\%#?&=+*!$;,<>{}|^~\``;

/** Look-alikes of ASCII letters and punctuation, and invisible characters. */
export const LOOK_ALIKES: Readonly<Record<string, readonly string[]>> = {
  a: ['\u0430', '\u0251', '\uff41'],
  c: ['\u0441', '\u217d'],
  e: ['\u0435', '\u0117'],
  i: ['\u0456', '\u0131', '\u2170'],
  l: ['\u04cf', '\u2113', '\u217c'],
  o: ['\u043e', '\u03bf', '\u0ce6'],
  p: ['\u0440', '\u03c1'],
  s: ['\u0455', '\ua731'],
  x: ['\u0445', '\u2179'],
  '0': ['\uff10', '\u{1d7ce}'],
  '1': ['\uff11', '\u{1d7f7}'],
  '/': ['\u2215', '\u2044', '\uff0f', '\u29f8'],
  ':': ['\uff1a', '\ua789', '\u0589', '\u2236'],
  '.': ['\u2024', '\uff0e', '\u3002'],
  '-': ['\u2010', '\u2011', '\u2212', '\u2013'],
  '@': ['\uff20', '\ufe6b'],
  _: ['\uff3f', '\u02cd'],
};
export const INVISIBLES = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u0301', '\u00a0'];
export const CONTROL_CHARACTERS = [
  ...Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)),
  '\u007f',
];

/** One edit of a string; `at` is reduced modulo the length when applied. */
export type Mutation =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'replace'; readonly at: number; readonly text: string }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'swap-case'; readonly at: number }
  | { readonly kind: 'truncate'; readonly at: number };

const insertableArb = fc.oneof(
  { weight: 6, arbitrary: charsFrom(GRAMMAR_CHARACTERS, 1, 2) },
  { weight: 2, arbitrary: charsFrom(NASTY_ASCII, 1, 1) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) },
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: insertableArb }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: insertableArb }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({ kind: fc.constant('swap-case' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies one mutation. */
export function mutate(text: string, mutation: Mutation): string {
  const at = text.length === 0 ? 0 : mutation.at % (text.length + 1);
  switch (mutation.kind) {
    case 'insert':
      return text.slice(0, at) + mutation.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + mutation.length);
    case 'replace':
      return text.slice(0, at) + mutation.text + text.slice(at + 1);
    case 'duplicate':
      return text.slice(0, at + mutation.length) + text.slice(at);
    case 'swap-case': {
      const character = text.charAt(at);
      const swapped =
        character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase();
      return text.slice(0, at) + swapped + text.slice(at + 1);
    }
    case 'truncate':
      return text.slice(0, at);
  }
}

/** A grammar-valid reference with one to four mutations applied. */
export const mutatedReferenceArb: fc.Arbitrary<string> = fc
  .tuple(anyReferencePartsArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([parts, mutations]) => mutations.reduce(mutate, referenceText(parts)));

/** A grammar-valid reference with one character swapped for a look-alike or an invisible character inserted. */
export const lookAlikeReferenceArb: fc.Arbitrary<string> = fc
  .tuple(anyReferencePartsArb, fc.nat(), fc.nat(), fc.boolean())
  .map(([parts, position, pick, insertInvisible]) => {
    const text = referenceText(parts);
    if (insertInvisible) {
      const at = position % (text.length + 1);
      return text.slice(0, at) + INVISIBLES[pick % INVISIBLES.length] + text.slice(at);
    }
    const candidates = [...text].flatMap((character, index) => (LOOK_ALIKES[character] ? [index] : []));
    const index = candidates[position % Math.max(candidates.length, 1)];
    const original = index === undefined ? undefined : text[index];
    const options = original === undefined ? undefined : LOOK_ALIKES[original];
    if (index === undefined || options === undefined) return `${text}${INVISIBLES[0]}`;
    return text.slice(0, index) + options[pick % options.length] + text.slice(index + 1);
  });

/** A grammar-valid reference with a C0 control character or DEL inserted. */
export const controlCharacterReferenceArb: fc.Arbitrary<string> = fc
  .tuple(anyReferencePartsArb, fc.nat(), fc.constantFrom(...CONTROL_CHARACTERS))
  .map(([parts, position, control]) => {
    const text = referenceText(parts);
    const at = position % (text.length + 1);
    return text.slice(0, at) + control + text.slice(at);
  });

/** Arbitrary unicode: code points of every plane (lone surrogates included) and grapheme clusters. */
export const unicodeStringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary-ascii', maxLength: 120 }),
);

/** Strings over the characters the grammar cares about: the best at finding parser edge cases. */
export const grammarAlphabetStringArb: fc.Arbitrary<string> = fc.oneof(
  charsFrom(GRAMMAR_CHARACTERS, 0, 40),
  charsFrom(`${GRAMMAR_CHARACTERS}${NASTY_ASCII}`, 0, 40),
);

/** Huge strings: far past the 512-character limit, or valid references padded past it. */
export const hugeStringArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 513, max: 200_000 }).map((length) => 'a'.repeat(length)),
  fc
    .tuple(anyReferencePartsArb, fc.integer({ min: 520, max: 5_000 }))
    .map(([parts, extra]) => `${referenceText(parts)}${'-'.repeat(extra)}`),
  fc.integer({ min: 100, max: 20_000 }).map((count) => `${'a/'.repeat(count)}a`),
  fc.string({ unit: 'binary', minLength: 513, maxLength: 3_000 }),
);

// ---------------------------------------------------------------------------------------------
// Registry secrets (SPEC §3) with distinctive credentials.
// ---------------------------------------------------------------------------------------------

/**
 * A distinctive credential fragment: 10-16 characters of upper-case letters, digits and `!#%*`.
 * No message of the parsers holds such a run (host names are lower-case once normalised).
 */
export const tokenArb = charsFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%*', 10, 16);

/** Decorations that make a credential hostile: separators, line breaks, quotes, unicode. */
const decorationArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(':', ' ', '\n', '\r\n', '\t', '\u0000', '"', '\\', '\u007f', '@', '/'),
  },
  { weight: 2, arbitrary: unicodeStringArb },
);

/** A credential value holding a token (recorded so the test can look for it), or a value of the wrong kind. */
export interface GeneratedValue {
  readonly value: unknown;
  readonly token: string | undefined;
}

const credentialValueArb: fc.Arbitrary<GeneratedValue> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(decorationArb, fc.constantFrom('pw-', 'ghp_', 'dckr_pat_', 'bot-', ''), tokenArb, decorationArb)
      .map(([before, prefix, token, after]) => ({ value: `${before}${prefix}${token}${after}`, token })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom('', ' ', '\t\n', null, 0, true, [], {}),
        fc.anything({ maxDepth: 2, withBigInt: false }),
      )
      .map((value) => ({ value, token: undefined })),
  },
);

/** A registry_url: hosts and URLs (Docker Hub aliases make duplicates), user info holding a token, junk. */
export const registryUrlArb: fc.Arbitrary<GeneratedValue> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', 'https://', 'http://', 'HTTPS://', 'ftp://'),
        domainArb,
        fc.constantFrom('', '/', '/v1/', '/v2', '/v3/'),
      )
      .map(([scheme, domain, path]) => ({ value: `${scheme}${domain.text}${path}`, token: undefined })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        'docker.io',
        'index.docker.io',
        'registry-1.docker.io',
        'https://index.docker.io/v1/',
        'ghcr.io',
        'GHCR.IO',
        'https://ghcr.io/',
      )
      .map((value) => ({ value, token: undefined })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('https://', 'http://', ''),
        tokenArb,
        domainArb,
        fc.constantFrom('', '/v2/', '?x=1'),
      )
      .map(([scheme, token, domain, rest]) => ({
        value: `${scheme}bot:${token}@${domain.text}${rest}`,
        token,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(unicodeStringArb, fc.anything({ maxDepth: 1, withBigInt: false }))
      .map((value) => ({ value, token: undefined })),
  },
);

interface GeneratedEntry {
  readonly entry: unknown;
  readonly tokens: readonly string[];
}

/** A well-formed entry: token credentials (unicode allowed) and a registry from a small set, so names repeat. */
const wellFormedEntryArb: fc.Arbitrary<GeneratedEntry> = fc
  .record({
    username: tokenArb,
    password: fc.tuple(fc.constantFrom('pw-', 'ghp_', 'dckr_pat_'), tokenArb, fc.string({ maxLength: 4 })),
    registry: fc.constantFrom(
      'ghcr.io',
      'https://index.docker.io/v1/',
      'docker.io',
      'registry.example.com:5000',
      'http://10.0.0.5:5000',
      'quay.io',
    ),
  })
  .map(({ username, password: [prefix, token, suffix], registry }) => ({
    entry: { registry_url: registry, username: `bot-${username}`, password: `${prefix}${token}${suffix}` },
    tokens: [username, token],
  }));

/** One credential entry: each field present or missing, unknown keys now and then; or not an object. */
const entryArb: fc.Arbitrary<GeneratedEntry> = fc.oneof(
  { weight: 6, arbitrary: wellFormedEntryArb },
  {
    weight: 9,
    arbitrary: fc
      .record(
        {
          username: credentialValueArb,
          password: credentialValueArb,
          registry_url: registryUrlArb,
          extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
        },
        { requiredKeys: ['extra'] },
      )
      .map(({ username, password, registry_url, extra }) => ({
        entry: {
          ...extra,
          ...(username ? { username: username.value } : {}),
          ...(password ? { password: password.value } : {}),
          ...(registry_url ? { registry_url: registry_url.value } : {}),
        },
        tokens: [username?.token, password?.token, registry_url?.token].filter(
          (token): token is string => token !== undefined,
        ),
      })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((entry) => ({ entry, tokens: [] })) },
);

/** The two secret forms of SPEC §3, their mix, and their JSON text, sometimes pretty-printed or corrupted. */

export const secretTextArb: fc.Arbitrary<{ text: string; tokens: readonly string[] }> = fc
  .tuple(
    fc.oneof(
      entryArb,
      fc.array(entryArb, { maxLength: 4 }).map((entries) => ({
        entry: { registries: entries.map((generated) => generated.entry) },
        tokens: entries.flatMap((generated) => generated.tokens),
      })),
      fc.tuple(entryArb, fc.array(entryArb, { maxLength: 2 })).map(([seed, entries]) => ({
        entry: {
          ...(typeof seed.entry === 'object' ? seed.entry : {}),
          registries: entries.map((e) => e.entry),
        },
        tokens: [...seed.tokens, ...entries.flatMap((e) => e.tokens)],
      })),
      fc
        .tuple(fc.jsonValue({ maxDepth: 2 }), entryArb)
        .map(([registries, seed]) => ({ entry: { registries }, tokens: seed.tokens })),
    ),
    fc.oneof(
      { weight: 5, arbitrary: fc.constant('compact') },
      { weight: 1, arbitrary: fc.constant('pretty') },
      { weight: 2, arbitrary: fc.constant('corrupted') },
    ),
    fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
  )
  .map(([{ entry, tokens }, layout, mutations]) => {
    const text = JSON.stringify(entry, null, layout === 'pretty' ? 2 : undefined) ?? 'null';
    return { text: layout === 'corrupted' ? mutations.reduce(mutate, text) : text, tokens };
  });
