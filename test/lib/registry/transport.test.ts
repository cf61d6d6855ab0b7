import { retryAfterSeconds } from '../../../lib/registry/transport';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it.each<[string | null, number | undefined]>([
    ['120', 120],
    [' 7 ', 7],
    ['0', 1],
    ['999999', 86_400],
    ['Tue, 01 Dec 2026 12:00:45 GMT', 45],
    ['Tue, 01 Dec 2026 11:00:00 GMT', 1],
    ['soon', undefined],
    ['-5', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads %p as %p', (header, expected) => {
    // act
    const seconds = retryAfterSeconds(header, now);

    // assert
    expect(seconds).toBe(expected);
  });
});
