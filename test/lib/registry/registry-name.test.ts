import { normaliseRegistryName, RegistryNameError } from '../../../lib/registry/registry-name';

const HUB = {
  name: 'docker.io',
  scheme: 'https',
  apiBase: 'https://registry-1.docker.io',
  authKey: 'https://index.docker.io/v1/',
};

describe('normaliseRegistryName', () => {
  it.each([
    // SPEC §3: every Docker Hub name is one registry, reached at registry-1.docker.io.
    ['docker.io', HUB],
    ['index.docker.io', HUB],
    ['registry-1.docker.io', HUB],
    ['https://index.docker.io/v1/', HUB],
    ['HTTPS://Index.Docker.IO/v1', HUB],
    ['http://docker.io', HUB],
    // Bare hosts and host:port mean HTTPS.
    ['ghcr.io', { name: 'ghcr.io', scheme: 'https', apiBase: 'https://ghcr.io', authKey: 'ghcr.io' }],
    [
      'Registry.Example.com:5000',
      {
        name: 'registry.example.com:5000',
        scheme: 'https',
        apiBase: 'https://registry.example.com:5000',
        authKey: 'registry.example.com:5000',
      },
    ],
    [
      'https://registry.example.com/',
      {
        name: 'registry.example.com',
        scheme: 'https',
        apiBase: 'https://registry.example.com',
        authKey: 'registry.example.com',
      },
    ],
    [
      'https://quay.io/v2/',
      { name: 'quay.io', scheme: 'https', apiBase: 'https://quay.io', authKey: 'quay.io' },
    ],
    // Plain HTTP only where the value says http:// explicitly.
    [
      'http://10.0.0.5:5000',
      { name: '10.0.0.5:5000', scheme: 'http', apiBase: 'http://10.0.0.5:5000', authKey: '10.0.0.5:5000' },
    ],
    [
      'localhost:5000',
      {
        name: 'localhost:5000',
        scheme: 'https',
        apiBase: 'https://localhost:5000',
        authKey: 'localhost:5000',
      },
    ],
    [
      '[fd00::5]:5000',
      {
        name: '[fd00::5]:5000',
        scheme: 'https',
        apiBase: 'https://[fd00::5]:5000',
        authKey: '[fd00::5]:5000',
      },
    ],
    [' ghcr.io ', { name: 'ghcr.io', scheme: 'https', apiBase: 'https://ghcr.io', authKey: 'ghcr.io' }],
  ])('normalises %p', (input, expected) => {
    expect(normaliseRegistryName(input)).toEqual(expected);
  });

  it.each([
    ['', 'registry_url is empty'],
    ['ftp://registry.example.com', 'registry_url must use https:// or http://'],
    [
      'https://bot:s3cret@registry.example.com',
      'registry_url must not contain user info, a query or a fragment',
    ],
    ['registry.example.com?x=1', 'registry_url must not contain user info, a query or a fragment'],
    ['registry.example.com/team/app', 'registry_url must not have a path other than /v1/ or /v2/'],
    ['registry.example.com:0', 'registry_url has a port outside 1-65535'],
    ['registry.example.com:70000', 'registry_url has a port outside 1-65535'],
    ['registry_example.com', 'registry_url has a host name with characters outside a-z, 0-9, "-" and "."'],
    ['-registry.example.com', 'registry_url has a host name with characters outside a-z, 0-9, "-" and "."'],
    ['rеgistry.example.com', 'registry_url has a host name with characters outside a-z, 0-9, "-" and "."'],
    ['[fd00::zz]:5000', 'registry_url has an invalid IPv6 address'],
    [':5000', 'registry_url has an empty host'],
    ['ghcr.io\tevil.com', 'registry_url contains whitespace or control characters'],
    ['ghcr.io\u0000', 'registry_url contains whitespace or control characters'],
    [`${'a'.repeat(2049)}.io`, 'registry_url is longer than 2048 characters'],
  ])('refuses %p, naming the rule', (input, message) => {
    expect(() => normaliseRegistryName(input)).toThrow(new RegistryNameError(message));
  });

  it('never quotes the value in its message (a URL can carry credentials)', () => {
    const attempt = () => normaliseRegistryName('https://bot:hunter2-secret@registry.example.com');

    expect(attempt).toThrow(RegistryNameError);
    expect(attempt).not.toThrow(/hunter2|bot|registry\.example\.com/);
  });
});
