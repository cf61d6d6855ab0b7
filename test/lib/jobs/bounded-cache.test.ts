import fc from 'fast-check';
import { BoundedCache } from '../../../lib/jobs/bounded-cache';

describe('BoundedCache', () => {
  it('drops the least recently used entry beyond its capacity; a read counts as a use', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');

    cache.set('c', 3);

    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('never holds more than its capacity, whatever is written (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (capacity, keys) => {
          const cache = new BoundedCache<string, string>(capacity);
          for (const key of keys) cache.set(key, key);
          const last = keys.at(-1);
          return cache.size <= capacity && (last === undefined || cache.get(last) === last);
        },
      ),
    );
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});
