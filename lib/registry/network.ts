import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where an address sits. `metadata` is an instance metadata service (AWS, GCP, Azure, Alibaba);
 * `internal` covers loopback, link-local, private (RFC 1918, RFC 4193), shared (RFC 6598) and
 * unspecified addresses; everything else is `public`.
 */
export type NetworkClass = 'metadata' | 'loopback' | 'link-local' | 'private' | 'public';

/** Resolves a host name to its addresses (dns.lookup with `all` in production). */
export type HostResolver = (host: string) => Promise<readonly string[]>;

export const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

function blockList(entries: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of entries) list.addSubnet(address, prefix, family);
  return list;
}

const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200']);
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);
const LOOPBACK = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['0.0.0.0', 8, 'ipv4'],
  ['::', 128, 'ipv6'],
]);
const LINK_LOCAL = blockList([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

/** The class of an IP address (IPv4-mapped IPv6 addresses count as their IPv4 address). */
export function classifyAddress(address: string): NetworkClass {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  const ip = mapped ?? bare;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (METADATA_ADDRESSES.has(ip)) return 'metadata';
  if (LOOPBACK.check(ip, family)) return 'loopback';
  if (LINK_LOCAL.check(ip, family)) return 'link-local';
  if (PRIVATE.check(ip, family)) return 'private';
  return 'public';
}

/**
 * The classes of the addresses a host name (URL hostname: an IP literal, `[v6]`, or a DNS name)
 * stands for. Well-known loopback and metadata names are classed without a lookup.
 */
export async function hostClasses(hostname: string, resolve: HostResolver): Promise<Set<NetworkClass>> {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const literal = host.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0) return new Set([classifyAddress(literal)]);
  if (host === 'localhost' || host.endsWith('.localhost')) return new Set(['loopback']);
  if (METADATA_NAMES.has(host)) return new Set(['metadata']);
  return new Set((await resolve(host)).map(classifyAddress));
}

/**
 * Why a request to `target` must not be made on behalf of a registry at `registryHost`, or
 * undefined when it may: a metadata address never; a loopback, link-local or private address
 * only when the registry itself is on that kind of network (local development, a registry on a
 * private network). Names are resolved with `resolve`; a name that resolves differently when
 * the request is made (DNS rebinding) is not caught.
 */
export async function networkProblem(
  registryHost: string,
  target: string,
  resolve: HostResolver,
): Promise<string | undefined> {
  // The registry's own host is on the registry's network by definition (GHCR, Quay, Harbor and
  // ACR serve tokens from it): no lookup.
  if (target.toLowerCase() === registryHost.toLowerCase()) return undefined;
  const targetClasses = await hostClasses(target, resolve);
  if (targetClasses.has('metadata')) return 'an instance metadata address';
  const internal = [...targetClasses].filter((kind) => kind !== 'public');
  if (internal.length === 0) return undefined;
  const registryClasses = await hostClasses(registryHost, resolve);
  const foreign = internal.filter((kind) => !registryClasses.has(kind));
  return foreign.length === 0 ? undefined : `a ${foreign.join(' and ')} address the registry is not on`;
}
