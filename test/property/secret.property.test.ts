import fc from 'fast-check';
import {
  normaliseRegistryName,
  type RegistryName,
  RegistryNameError,
} from '../../lib/registry/registry-name';
import { parseRegistrySecret, type RegistryCredential, SecretFormatError } from '../../lib/registry/secret';
import {
  domainArb,
  type GeneratedValue,
  mutate,
  mutationArb,
  registryUrlArb,
  secretTextArb,
  unicodeStringArb,
} from './arbitraries';

/** Messages of the error and its causes: all of them may reach a log line. */
function messages(error: unknown): string[] {
  const found: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) found.push(current.message);
  return found;
}

function parseSecretOutcome(text: string): RegistryCredential[] | SecretFormatError {
  try {
    return parseRegistrySecret(text);
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
}

function expectUsableCredentials(credentials: readonly RegistryCredential[]): void {
  expect(credentials.length).toBeGreaterThan(0);
  const names = credentials.map((credential) => credential.registry.name);
  expect(new Set(names).size).toBe(names.length);
  for (const credential of credentials) {
    for (const value of [credential.username, credential.password]) {
      expect(value.trim()).not.toBe('');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the parser must have refused these
      expect(value).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(credential.username).not.toContain(':');
  }
}

function expectNoValueIn(error: SecretFormatError, tokens: readonly string[]): void {
  for (const message of messages(error)) {
    for (const token of tokens) expect(message).not.toContain(token);
  }
}

describe('parseRegistrySecret (properties)', () => {
  it('returns usable credentials or throws SecretFormatError quoting no credential, for secret-shaped JSON', () => {
    fc.assert(
      fc.property(secretTextArb, ({ text, tokens }) => {
        const outcome = parseSecretOutcome(text);

        if (outcome instanceof SecretFormatError) expectNoValueIn(outcome, tokens);
        else expectUsableCredentials(outcome);
      }),
      { numRuns: 3_000 },
    );
  });

  it('returns or throws SecretFormatError only, for any JSON value and any string', () => {
    const anyTextArb = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.anything({ maxDepth: 3, withBigInt: false }).map((value) => JSON.stringify(value) ?? String(value)),
      unicodeStringArb,
      fc.string({ maxLength: 200 }),
    );
    fc.assert(
      fc.property(anyTextArb, (text) => {
        const outcome = parseSecretOutcome(text);

        if (outcome instanceof SecretFormatError) expect(outcome.name).toBe('SecretFormatError');
        else expectUsableCredentials(outcome);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('normaliseRegistryName (properties)', () => {
  function normaliseOutcome(input: string): RegistryName | RegistryNameError {
    try {
      return normaliseRegistryName(input);
    } catch (error) {
      if (error instanceof RegistryNameError) return error;
      throw error;
    }
  }

  const registryInputArb: fc.Arbitrary<GeneratedValue & { value: string }> = fc.oneof(
    registryUrlArb
      .filter(
        (generated): generated is GeneratedValue & { value: string } => typeof generated.value === 'string',
      )
      .chain((generated) =>
        fc
          .tuple(fc.constantFrom('', ' ', '\t', '\n'), fc.constantFrom('', ' ', '#top', '\u00a0'))
          .map(([before, after]) => ({
            value: `${before}${generated.value}${after}`,
            token: generated.token,
          })),
      ),
    fc.tuple(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), domainArb).map(([mutations, domain]) => ({
      value: mutations.reduce(mutate, `https://${domain.text}/`),
      token: undefined,
    })),
    fc.oneof(unicodeStringArb, fc.string({ maxLength: 3_000 })).map((value) => ({ value, token: undefined })),
  );

  it('returns a stable name or throws RegistryNameError quoting no user info', () => {
    fc.assert(
      fc.property(registryInputArb, ({ value, token }) => {
        const outcome = normaliseOutcome(value);

        if (outcome instanceof RegistryNameError) {
          expect(outcome.message).toMatch(/^registry_url /);
          if (token !== undefined) expect(outcome.message).not.toContain(token);
        } else {
          expect(outcome.name).toBe(outcome.name.toLowerCase());
          expect(outcome.name).not.toMatch(/[/@?#\s]/);
          expect(normaliseRegistryName(outcome.name).name).toBe(outcome.name);
          expect(outcome.apiBase).toMatch(/^https?:\/\/[^/]+$/);
          if (token !== undefined) expect(JSON.stringify(outcome)).not.toContain(token);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
