import fc from 'fast-check';
import { canonicalJson } from '../../../lib/idempotency/canonical-json';

/** The same value with every object's members in a shuffled order. */
function shuffled(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffled(item, random));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(() => random() - 0.5);
    return Object.fromEntries(entries.map(([key, item]) => [key, shuffled(item, random)]));
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts members by key, case-sensitively, without whitespace', () => {
    expect(canonicalJson(JSON.parse('{ "b": [2, {"y":1,"x":2}], "B": 1, "a": null }'))).toBe(
      '{"B":1,"a":null,"b":[2,{"x":2,"y":1}]}',
    );
  });

  it('gives one text per JSON value and parses back to it (properties)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        const text = JSON.stringify(value);
        const parsed: unknown = JSON.parse(text);
        let state = seed;
        const random = () => {
          state = (state * 1103515245 + 12345) % 2 ** 31;
          return Math.abs(state) / 2 ** 31;
        };

        const canonical = canonicalJson(parsed);

        expect(canonicalJson(JSON.parse(JSON.stringify(shuffled(parsed, random), null, 2)))).toBe(canonical);
        expect(JSON.parse(canonical)).toEqual(parsed);
      }),
      { numRuns: 1_000 },
    );
  });

  it('tells apart values that differ only in array order or in a key case', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ A: 1 }));
  });
});
