import { parseChallenges, tokenRealmUrl } from '../../../lib/registry/challenge';
import { RegistryError } from '../../../lib/registry/registry-error';
import { normaliseRegistryName } from '../../../lib/registry/registry-name';

describe('tokenRealmUrl', () => {
  it.each([
    [
      'an https realm for an https registry',
      'https://registry.example.com',
      'https://auth.example.com/token',
    ],
    ['an http realm for an explicit http registry', 'http://10.0.0.5:5000', 'http://10.0.0.5:5001/token'],
    ['an https realm for an http registry', 'http://10.0.0.5:5000', 'https://auth.example.com/token'],
  ])('accepts %s', (_case, registry, realm) => {
    // act
    const url = tokenRealmUrl(normaliseRegistryName(registry), realm);

    // assert
    expect(url.href).toBe(realm);
  });

  it.each([
    [
      'a plain-http realm for an https registry',
      'https://registry.example.com',
      'http://auth.example.com/token',
      /plain-http token realm/,
    ],
    [
      'a realm with user info',
      'https://registry.example.com',
      'https://u:p@auth.example.com/token',
      /user info/,
    ],
    ['a data: URL', 'https://registry.example.com', 'data:text/plain,x', /not an http\(s\) URL/],
    ['a relative realm', 'https://registry.example.com', '/token', /not an http\(s\) URL/],
  ])('refuses %s', (_case, registry, realm, message) => {
    // act
    const act = () => tokenRealmUrl(normaliseRegistryName(registry), realm);

    // assert
    expect(act).toThrow(RegistryError);
    expect(act).toThrow(message);
  });
});

describe('parseChallenges', () => {
  it.each([
    [
      'a Docker Hub Bearer challenge',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull',
          },
        },
      ],
    ],
    [
      'a Basic challenge',
      'Basic realm="Registry Realm"',
      [{ scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ],
    [
      'two challenges joined by a comma',
      'Basic realm="r", Bearer realm="https://t/token",service=reg',
      [
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 'reg' } },
      ],
    ],
    ['an escaped quote', 'Bearer realm="a\\"b"', [{ scheme: 'bearer', params: { realm: 'a"b' } }]],
    ['nothing', '', []],
  ])('parses %s', (_case, header, expected) => {
    // act
    const challenges = parseChallenges(header);

    // assert
    expect(challenges).toEqual(expected);
  });
});
