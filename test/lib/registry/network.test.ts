import {
  classifyAddress,
  type HostResolver,
  hostClasses,
  networkProblem,
} from '../../../lib/registry/network';

const DNS: Record<string, readonly string[]> = {
  'registry.example.com': ['93.184.216.34'],
  'auth.example.com': ['93.184.216.35', '2606:2800:220:1::1'],
  'internal.example.com': ['10.0.0.5'],
  'rebind.example.com': ['93.184.216.36', '127.0.0.1'],
  'registry.corp.example': ['10.20.0.4'],
};
const resolve: HostResolver = async (host) => {
  const addresses = DNS[host];
  if (addresses === undefined)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses;
};

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:2800:220:1::1', 'public'],
  ])('classes %s as %s', (address, expected) => {
    // act
    const kind = classifyAddress(address);

    // assert
    expect(kind).toBe(expected);
  });
});

describe('hostClasses', () => {
  it.each([
    ['localhost', ['loopback']],
    ['registry.localhost', ['loopback']],
    ['metadata.google.internal', ['metadata']],
    ['[::1]', ['loopback']],
    ['rebind.example.com', ['public', 'loopback']],
  ])('classes %s', async (host, expected) => {
    // act
    const classes = await hostClasses(host, resolve);

    // assert
    expect([...classes]).toEqual(expected);
  });
});

describe('networkProblem', () => {
  it("allows the registry's own host without a lookup", async () => {
    // prepare
    const lookups: string[] = [];
    const counting: HostResolver = async (host) => {
      lookups.push(host);
      return resolve(host);
    };

    // act
    const problem = await networkProblem('internal.example.com', 'internal.example.com', counting);

    // assert
    expect([problem, lookups]).toEqual([undefined, []]);
  });

  it.each([
    ['a public realm of a public registry', 'registry.example.com', 'auth.example.com'],
    ['a loopback realm of a loopback registry (local development)', '127.0.0.1', 'localhost'],
    ['a private realm of a registry on a private network', 'registry.corp.example', 'internal.example.com'],
    ['a public realm of a private registry', '10.0.0.7', 'auth.example.com'],
  ])('allows %s', async (_case, registry, target) => {
    // act
    const problem = await networkProblem(registry, target, resolve);

    // assert
    expect(problem).toBeUndefined();
  });

  it.each([
    [
      'a metadata realm, even for a registry on link-local',
      '169.254.10.1',
      '169.254.169.254',
      /instance metadata/,
    ],
    ['a metadata name', 'registry.example.com', 'metadata.google.internal', /instance metadata/],
    ['a private realm of a public registry', 'registry.example.com', 'internal.example.com', /private/],
    ['a loopback realm of a public registry', 'registry.example.com', 'localhost', /loopback/],
    ['a name that also resolves to loopback', 'registry.example.com', 'rebind.example.com', /loopback/],
    ['a loopback realm of a private registry', '10.0.0.7', '127.0.0.1', /loopback/],
  ])('refuses %s', async (_case, registry, target, message) => {
    // act
    const problem = await networkProblem(registry, target, resolve);

    // assert
    expect(problem).toMatch(message);
  });

  it('passes a resolution failure on', async () => {
    // act
    const act = networkProblem('registry.example.com', 'nowhere.example.com', resolve);

    // assert
    await expect(act).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
