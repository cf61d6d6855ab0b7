import { normaliseRegistryName } from '../../../lib/registry/registry-name';
import { parseRegistrySecret, registryNames, SecretFormatError } from '../../../lib/registry/secret';

// Recognisable values: no error message may contain them.
const PASSWORD = 'pw-Leak-Canary-7f3a';
const USERNAME = 'user-Leak-Canary-b41c';

const entry = (registry_url: unknown, extra: Record<string, unknown> = {}) => ({
  registry_url,
  username: USERNAME,
  password: PASSWORD,
  ...extra,
});
const secret = (value: unknown) => JSON.stringify(value);

const valid: ReadonlyArray<
  [string, string, ReadonlyArray<{ name: string; apiBase: string; authKey: string }>]
> = [
  [
    'seed form without registry_url means Docker Hub',
    secret({ username: USERNAME, password: PASSWORD }),
    [{ name: 'docker.io', apiBase: 'https://registry-1.docker.io', authKey: 'https://index.docker.io/v1/' }],
  ],
  [
    'seed form with the index.docker.io/v1/ URL',
    secret(entry('https://index.docker.io/v1/')),
    [{ name: 'docker.io', apiBase: 'https://registry-1.docker.io', authKey: 'https://index.docker.io/v1/' }],
  ],
  [
    'seed form with a bare host',
    secret(entry('ghcr.io')),
    [{ name: 'ghcr.io', apiBase: 'https://ghcr.io', authKey: 'ghcr.io' }],
  ],
  [
    'seed form with host:port',
    secret(entry('registry.example.com:5000')),
    [
      {
        name: 'registry.example.com:5000',
        apiBase: 'https://registry.example.com:5000',
        authKey: 'registry.example.com:5000',
      },
    ],
  ],
  [
    'seed form with explicit http:// (private network registry)',
    secret(entry('http://10.0.0.5:5000')),
    [{ name: '10.0.0.5:5000', apiBase: 'http://10.0.0.5:5000', authKey: '10.0.0.5:5000' }],
  ],
  [
    'seed form with an https URL and trailing slash, upper case host',
    secret(entry('https://Registry.Example.com/')),
    [
      {
        name: 'registry.example.com',
        apiBase: 'https://registry.example.com',
        authKey: 'registry.example.com',
      },
    ],
  ],
  [
    'seed form with registry-1.docker.io',
    secret(entry('registry-1.docker.io')),
    [{ name: 'docker.io', apiBase: 'https://registry-1.docker.io', authKey: 'https://index.docker.io/v1/' }],
  ],
  [
    'seed form ignores an unknown extra key (email)',
    secret({ ...entry('ghcr.io'), email: 'bot@example.com' }),
    [{ name: 'ghcr.io', apiBase: 'https://ghcr.io', authKey: 'ghcr.io' }],
  ],
  [
    'registries form with one entry',
    secret({ registries: [entry('quay.io')] }),
    [{ name: 'quay.io', apiBase: 'https://quay.io', authKey: 'quay.io' }],
  ],
  [
    'registries form with Docker Hub and GHCR',
    secret({ registries: [entry('ghcr.io'), entry('https://index.docker.io/v1/')] }),
    [
      { name: 'ghcr.io', apiBase: 'https://ghcr.io', authKey: 'ghcr.io' },
      { name: 'docker.io', apiBase: 'https://registry-1.docker.io', authKey: 'https://index.docker.io/v1/' },
    ],
  ],
  [
    'registries form with IPv6 and port',
    secret({ registries: [entry('http://[::1]:5000')] }),
    [{ name: '[::1]:5000', apiBase: 'http://[::1]:5000', authKey: '[::1]:5000' }],
  ],
  [
    'registries form with /v2/ path',
    secret({ registries: [entry('https://harbor.example.com/v2/')] }),
    [{ name: 'harbor.example.com', apiBase: 'https://harbor.example.com', authKey: 'harbor.example.com' }],
  ],
];

const invalid: ReadonlyArray<[string, string, RegExp]> = [
  ['not JSON', `username=${USERNAME} password=${PASSWORD}`, /^the secret is not valid JSON/],
  ['truncated JSON', `{"username":"${USERNAME}","password":"${PASSWORD}"`, /not valid JSON/],
  ['empty string', '', /not valid JSON/],
  ['a JSON string', secret(PASSWORD), /must be a JSON object, not a string/],
  ['a JSON array', secret([entry('ghcr.io')]), /must be a JSON object, not an array/],
  ['JSON null', 'null', /must be a JSON object, not null/],
  [
    'an object of neither form',
    secret({ token: PASSWORD }),
    /neither "registries" nor "username"\/"password"/,
  ],
  [
    'both forms mixed',
    secret({ registries: [entry('ghcr.io')], password: PASSWORD }),
    /mixes both forms.*"password"/,
  ],
  [
    'seed: username missing',
    secret({ password: PASSWORD }),
    /the secret \(docker\.io\): username is missing/,
  ],
  [
    'seed: password missing',
    secret({ username: USERNAME }),
    /the secret \(docker\.io\): password is missing/,
  ],
  ['seed: username empty', secret({ username: '', password: PASSWORD }), /username is empty/],
  ['seed: password only spaces', secret({ username: USERNAME, password: '   ' }), /password is empty/],
  [
    'seed: password a number',
    secret({ username: USERNAME, password: 12345 }),
    /password must be a string, not a number/,
  ],
  [
    'seed: username null',
    secret({ username: null, password: PASSWORD }),
    /username must be a string, not null/,
  ],
  [
    'seed: password with a line break',
    secret({ username: USERNAME, password: `${PASSWORD}\n` }),
    /password contains control characters/,
  ],
  [
    'seed: username with ":"',
    secret({ username: `${USERNAME}:x`, password: PASSWORD }),
    /username must not contain ":"/,
  ],
  [
    'seed: registry_url not a string',
    secret(entry(5000)),
    /the secret: registry_url must be a string, not a number/,
  ],
  ['seed: registry_url empty', secret(entry('')), /the secret: registry_url is empty/],
  ['seed: registry_url ftp://', secret(entry('ftp://example.com')), /must use https:\/\/ or http:\/\//],
  [
    'seed: registry_url with user info',
    secret(entry(`https://${USERNAME}:${PASSWORD}@example.com`)),
    /must not contain user info/,
  ],
  ['seed: registry_url with a path', secret(entry('https://example.com/team')), /must not have a path/],
  ['seed: registry_url port out of range', secret(entry('example.com:99999')), /port outside 1-65535/],
  [
    'registries not an array',
    secret({ registries: entry('ghcr.io') }),
    /"registries" must be an array, not an object/,
  ],
  ['registries empty', secret({ registries: [] }), /"registries" is empty/],
  [
    'registries entry not an object',
    secret({ registries: [entry('ghcr.io'), PASSWORD] }),
    /registries\[1\] must be an object/,
  ],
  [
    'registries entry without registry_url',
    secret({ registries: [{ username: USERNAME, password: PASSWORD }] }),
    /registries\[0\]: registry_url is missing/,
  ],
  [
    'registries entry with empty password names index and host',
    secret({ registries: [entry('ghcr.io'), entry('quay.io', { password: '' })] }),
    /registries\[1\] \(quay\.io\): password is empty/,
  ],
  [
    'duplicate registry, same spelling',
    secret({ registries: [entry('ghcr.io'), entry('ghcr.io')] }),
    /registries\[1\] \(ghcr\.io\) names the same registry as registries\[0\]/,
  ],
  [
    'duplicate Docker Hub under two of its names',
    secret({ registries: [entry('docker.io'), entry('quay.io'), entry('https://index.docker.io/v1/')] }),
    /registries\[2\] \(docker\.io\) names the same registry as registries\[0\]/,
  ],
  [
    'duplicate registry differing only in scheme and case',
    secret({ registries: [entry('http://Reg.Example.com:5000'), entry('reg.example.com:5000')] }),
    /registries\[1\] \(reg\.example\.com:5000\) names the same registry as registries\[0\]/,
  ],
  [
    'registries entry with a bad registry_url names the index',
    secret({ registries: [entry('ghcr.io'), entry('not a host')] }),
    /registries\[1\]: registry_url contains whitespace/,
  ],
];

function messageOf(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    if (error instanceof SecretFormatError) return error.message;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}

describe('parseRegistrySecret', () => {
  it.each(valid)('accepts %s', (_case, value, expected) => {
    // act
    const credentials = parseRegistrySecret(value);

    // assert
    expect(credentials.map((c) => c.registry)).toEqual(
      expected.map((registry) => expect.objectContaining(registry)),
    );
    for (const credential of credentials) {
      expect(credential.username).toBe(USERNAME);
      expect(credential.password).toBe(PASSWORD);
    }
  });

  it.each(invalid)('rejects %s, naming the rule and never a value', (_case, value, expected) => {
    // act
    const message = messageOf(() => parseRegistrySecret(value));

    // assert
    expect(message).toMatch(expected);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(USERNAME);
    expect(message).not.toContain('Leak-Canary');
  });

  it('gives the position of a JSON syntax error but no cause that could quote the value', () => {
    // act
    let caught: unknown;
    try {
      parseRegistrySecret(`{"username":"${USERNAME}" "password":"${PASSWORD}"}`);
    } catch (error) {
      caught = error;
    }

    // assert
    expect(caught).toBeInstanceOf(SecretFormatError);
    expect(caught).toHaveProperty('message', expect.stringMatching(/at character \d+/));
    expect(caught instanceof Error && 'cause' in caught).toBe(false);
  });

  it('keeps the entries in the order of the secret', () => {
    // act
    const credentials = parseRegistrySecret(secret({ registries: [entry('quay.io'), entry('ghcr.io')] }));

    // assert
    expect(credentials.map((c) => c.registry.name)).toEqual(['quay.io', 'ghcr.io']);
  });
});

describe('parseRegistrySecret with a Google service-account key (_json_key)', () => {
  // cloud.google.com/artifact-registry/docs/docker/authentication#json-key: user `_json_key`,
  // the whole key file (multi-line JSON) as the password.
  const keyFile = `${JSON.stringify(
    {
      type: 'service_account',
      project_id: 'brg-test',
      private_key_id: 'Leak-Canary-key-id',
      private_key: '-----BEGIN PRIVATE KEY-----\nLeak-Canary\n-----END PRIVATE KEY-----\n',
      client_email: 'pusher@brg-test.iam.gserviceaccount.com',
    },
    null,
    2,
  )}\n`;

  it('accepts the whole key file as the password, unchanged', () => {
    // act
    const [credential] = parseRegistrySecret(
      secret({ registry_url: 'us-docker.pkg.dev', username: '_json_key', password: keyFile }),
    );

    // assert
    expect(credential?.password).toBe(keyFile);
    expect(credential?.password.split('\n').length).toBeGreaterThan(5);
  });

  it.each([
    ['a multi-line password that is not JSON', '_json_key', 'line one\nline two', /_json_key_base64/],
    ['a JSON array', '_json_key', '[\n1\n]', /not a JSON key file/],
    ['a multi-line JSON password under another username', 'bot', keyFile, /a line break pasted in\?/],
  ])('refuses %s, naming the rule', (_case, username, password, expected) => {
    // act
    const message = messageOf(() =>
      parseRegistrySecret(secret({ registry_url: 'us-docker.pkg.dev', username, password })),
    );

    // assert
    expect(message).toMatch(expected);
    expect(message).not.toContain('Leak-Canary');
  });
});

describe('registryNames', () => {
  it('lists sorted unique names of the secret and the extra allowed registries', () => {
    // prepare
    const credentials = parseRegistrySecret(secret({ registries: [entry('quay.io'), entry('docker.io')] }));
    const allowed = [normaliseRegistryName('public.ecr.aws'), normaliseRegistryName('index.docker.io')];

    // act
    const names = registryNames(credentials, allowed);

    // assert
    expect(names).toEqual(['docker.io', 'public.ecr.aws', 'quay.io']);
  });
});
