/**
 * One text per JSON value (SPEC §14 "the same body"): object members sorted by key (UTF-16 code
 * units, so keys that differ only in case keep a fixed order), no whitespace. Values come from
 * JSON.parse, so every number has one text already.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.keys(value)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(Reflect.get(value, key))}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
