import fc from 'fast-check';
import {
  formatImageReference,
  type ImageReference,
  ImageReferenceError,
  parseImageReference,
} from '../../lib/registry/reference';
import {
  anyReferencePartsArb,
  controlCharacterReferenceArb,
  expectedReference,
  grammarAlphabetStringArb,
  hugeStringArb,
  lookAlikeReferenceArb,
  matchesReferenceGrammar,
  mutatedReferenceArb,
  referenceText,
  unicodeStringArb,
} from './arbitraries';

/** Longest error message accepted: the parser quotes at most 64 characters of its input. */
const MAX_MESSAGE_LENGTH = 300;

type Outcome =
  | { readonly kind: 'parsed'; readonly reference: ImageReference }
  | { readonly kind: 'rejected'; readonly error: ImageReferenceError };

/** Parses; any error other than ImageReferenceError escapes and fails the property with its input. */
function parseOutcome(input: string): Outcome {
  try {
    return { kind: 'parsed', reference: parseImageReference(input) };
  } catch (error) {
    if (error instanceof ImageReferenceError) return { kind: 'rejected', error };
    throw error;
  }
}

function expectStableRoundTrip(input: string, reference: ImageReference): void {
  expect(matchesReferenceGrammar(input)).toBe(true);
  expect(`${reference.registry}/${reference.repository}`.length).toBeLessThanOrEqual(255);
  expect(formatImageReference(reference)).toBe(reference.normalised);
  expect(reference.normalised).toMatch(/^[\x21-\x7e]+$/);
  expect(parseImageReference(reference.normalised)).toEqual(reference);
  expect(parseImageReference(formatImageReference(reference))).toEqual(reference);
}

function expectWellFormedRejection(error: ImageReferenceError): void {
  expect(error.name).toBe('ImageReferenceError');
  expect(error.message).toMatch(/^invalid image reference: /);
  expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
}

/** Every input the parser gets: grammar-valid, mutated, look-alike, control, unicode, huge. */
const hostileReferenceArb = fc.oneof(
  { weight: 3, arbitrary: anyReferencePartsArb.map(referenceText) },
  { weight: 4, arbitrary: mutatedReferenceArb },
  { weight: 3, arbitrary: grammarAlphabetStringArb },
  { weight: 1, arbitrary: lookAlikeReferenceArb },
  { weight: 1, arbitrary: controlCharacterReferenceArb },
  { weight: 2, arbitrary: unicodeStringArb },
  { weight: 1, arbitrary: hugeStringArb },
);

describe('parseImageReference (properties)', () => {
  it('parses every grammar-valid reference to the normalised parts the grammar gives', () => {
    fc.assert(
      fc.property(anyReferencePartsArb, (parts) => {
        const input = referenceText(parts);
        const expected = expectedReference(parts);

        const outcome = parseOutcome(input);

        if (expected === undefined) {
          expect(outcome.kind).toBe('rejected');
        } else {
          expect(outcome).toEqual({ kind: 'parsed', reference: expected });
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('returns or throws ImageReferenceError only, accepts nothing the grammar refuses, and round-trips what it accepts', () => {
    fc.assert(
      fc.property(hostileReferenceArb, (input) => {
        const outcome = parseOutcome(input);

        if (outcome.kind === 'parsed') expectStableRoundTrip(input, outcome.reference);
        else expectWellFormedRejection(outcome.error);
      }),
      { numRuns: 10_000 },
    );
  });

  it('rejects a reference holding a look-alike, invisible or control character', () => {
    fc.assert(
      fc.property(fc.oneof(lookAlikeReferenceArb, controlCharacterReferenceArb), (input) => {
        const outcome = parseOutcome(input);

        expect(outcome.kind).toBe('rejected');
        if (outcome.kind === 'rejected') {
          expectWellFormedRejection(outcome.error);
          // The length limit is checked first; below it, the message names the character class.
          expect(outcome.error.message).toMatch(/control characters|whitespace|non-ASCII|characters long/);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects input over 512 characters with a short message that does not echo it', () => {
    fc.assert(
      fc.property(hugeStringArb, (input) => {
        const outcome = parseOutcome(input);

        if (input.length > 512) expect(outcome.kind).toBe('rejected');
        if (outcome.kind === 'rejected') {
          expectWellFormedRejection(outcome.error);
          for (const start of [0, Math.floor(input.length / 2), Math.max(input.length - 65, 0)]) {
            const slice = input.slice(start, start + 65);
            if (slice.length === 65) expect(outcome.error.message).not.toContain(slice);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
