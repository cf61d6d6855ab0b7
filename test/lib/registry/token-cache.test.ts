import { TokenCache } from '../../../lib/registry/token-cache';

const BASE = 'https://registry.example.com';
const SCOPE = 'repository:team/app:pull';
const USER = { username: 'bot', password: 'pw-Leak-Canary-7d1e' };
const OTHER = { username: 'bot', password: 'pw-Leak-Canary-other' };

describe('TokenCache', () => {
  it('returns a token until shortly before it expires, then forgets it', () => {
    // prepare
    const clock = { now: 1_000_000 };
    const cache = new TokenCache(() => clock.now);
    cache.set(BASE, SCOPE, USER, 'tok-1', clock.now, 60);

    // act
    clock.now += 54_999;
    const early = cache.get(BASE, SCOPE, USER);
    clock.now += 1;
    const late = cache.get(BASE, SCOPE, USER);

    // assert
    expect([early, late]).toEqual(['tok-1', undefined]);
    expect(cache.size).toBe(0);
  });

  it('keeps a short-lived token for at least half its lifetime', () => {
    // prepare
    const clock = { now: 0 };
    const cache = new TokenCache(() => clock.now);
    cache.set(BASE, SCOPE, USER, 'tok-short', 0, 4);

    // act
    clock.now = 1_999;
    const within = cache.get(BASE, SCOPE, USER);
    clock.now = 2_000;
    const after = cache.get(BASE, SCOPE, USER);

    // assert
    expect([within, after]).toEqual(['tok-short', undefined]);
  });

  it('keeps tokens apart by registry, scope and credentials', () => {
    // prepare
    const cache = new TokenCache(() => 0);
    cache.set(BASE, SCOPE, USER, 'tok-user', 0, 300);

    // act
    const found = {
      same: cache.get(BASE, SCOPE, USER),
      otherPassword: cache.get(BASE, SCOPE, OTHER),
      anonymous: cache.get(BASE, SCOPE, undefined),
      otherScope: cache.get(BASE, 'repository:team/other:pull', USER),
      otherRegistry: cache.get('https://other.example.com', SCOPE, USER),
    };

    // assert
    expect(found).toEqual({
      same: 'tok-user',
      otherPassword: undefined,
      anonymous: undefined,
      otherScope: undefined,
      otherRegistry: undefined,
    });
  });

  it('stays within its bound, dropping expired tokens first and then the oldest', () => {
    // prepare
    const clock = { now: 0 };
    const cache = new TokenCache(() => clock.now, 3);
    cache.set(BASE, 'scope-expiring', USER, 'tok-a', 0, 10);
    cache.set(BASE, 'scope-b', USER, 'tok-b', 0, 300);
    cache.set(BASE, 'scope-c', USER, 'tok-c', 0, 300);
    clock.now = 20_000;

    // act
    cache.set(BASE, 'scope-d', USER, 'tok-d', clock.now, 300);
    cache.set(BASE, 'scope-e', USER, 'tok-e', clock.now, 300);

    // assert
    expect(cache.size).toBe(3);
    expect(cache.get(BASE, 'scope-b', USER)).toBeUndefined();
    expect(['scope-c', 'scope-d', 'scope-e'].map((scope) => cache.get(BASE, scope, USER))).toEqual([
      'tok-c',
      'tok-d',
      'tok-e',
    ]);
  });

  it('holds no credential in a readable form', () => {
    // prepare
    const cache = new TokenCache(() => 0);

    // act
    cache.set(BASE, SCOPE, USER, 'tok', 0, 300);

    // assert
    expect(JSON.stringify([...Object.values(cache)])).not.toContain('Leak-Canary');
    const keys = [...(Reflect.get(cache, 'tokens') as Map<string, unknown>).keys()];
    expect(keys.join(' ')).not.toContain('Leak-Canary');
    expect(keys.join(' ')).not.toContain(USER.username);
  });
});
