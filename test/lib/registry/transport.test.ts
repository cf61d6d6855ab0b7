import { RegistryError } from '../../../lib/registry/registry-error';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';
import {
  MAX_REDIRECTS,
  type RequestContext,
  redirectTarget,
  retryAfterSeconds,
} from '../../../lib/registry/transport';

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

describe('redirectTarget', () => {
  const registry = normaliseRegistryName('https://registry.example.com');
  const lookups: string[] = [];
  const context: RequestContext = {
    registry,
    timeoutMs: 1000,
    resolve: async (host) => {
      lookups.push(host);
      return host === 'cdn.example.net' ? ['93.184.216.40'] : ['93.184.216.34'];
    },
  };
  const options = { who: 'registry registry.example.com', source: 'registry' as const };
  const from = new URL('https://registry.example.com/v2/a/b/manifests/v1');

  beforeEach(() => {
    lookups.length = 0;
  });

  it('resolves a relative Location on the same origin without a lookup', async () => {
    // act
    const target = await redirectTarget(context, options, from, '/v2/a/b/manifests/sha256-x', 0);

    // assert
    expect(target.href).toBe('https://registry.example.com/v2/a/b/manifests/sha256-x');
    expect(lookups).toEqual([]);
  });

  it('follows another https host that passes the network policy', async () => {
    // act
    const target = await redirectTarget(context, options, from, 'https://cdn.example.net/m?sig=1', 0);

    // assert
    expect(target.host).toBe('cdn.example.net');
    expect(lookups).toContain('cdn.example.net');
  });

  it.each([
    ['https down to http', 'http://cdn.example.net/m', 0, /from https to plain http/],
    ['a non-http scheme', 'file:///etc/passwd', 0, /non-http\(s\) URL/],
    ['user info', 'https://u:p@cdn.example.net/m', 0, /URL with user info/],
    ['one hop too many', 'https://cdn.example.net/m', MAX_REDIRECTS, /more than 5 times/],
  ])('refuses %s', async (_case, location, hop, message) => {
    // act
    const act = redirectTarget(context, options, from, location, hop);

    // assert
    await expect(act).rejects.toThrow(RegistryError);
    await expect(act).rejects.toThrow(message);
  });
});
