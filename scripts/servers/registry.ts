import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireCommand, startProcess, waitFor } from './processes';

export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

/** How the registry authenticates: htpasswd (Basic), a token service (Bearer), or not at all. */
export type RegistryAuth =
  | { readonly kind: 'htpasswd'; readonly users: readonly RegistryUser[] }
  | {
      readonly kind: 'token';
      readonly realm: string;
      readonly service: string;
      readonly issuer: string;
      /** PEM file holding the certificate(s) whose keys sign the tokens. */
      readonly rootCertBundle: string;
    }
  | { readonly kind: 'none' };

export interface RunningRegistry {
  /** `127.0.0.1:port`: the registry's name in image references. */
  readonly host: string;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export const INSTALL_HINT = 'apt-get update && apt-get install -y docker-registry apache2-utils';

/** Starts the CNCF distribution registry (Debian's `docker-registry`) on a free loopback port. */
export async function startRegistry(
  auth: RegistryAuth,
  options: { port?: number } = {},
): Promise<RunningRegistry> {
  requireCommand('docker-registry', INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'brg-registry-'));
  let authBlock = '';
  if (auth.kind === 'htpasswd') {
    requireCommand('htpasswd', INSTALL_HINT);
    const file = join(dir, 'htpasswd');
    writeFileSync(file, '');
    for (const user of auth.users) {
      const result = spawnSync('htpasswd', ['-B', '-b', '-C', '5', file, user.username, user.password], {
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`htpasswd failed: ${result.stderr}`);
    }
    authBlock = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${file}\n`;
  } else if (auth.kind === 'token') {
    authBlock = `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      authBlock,
    ].join('\n'),
  );
  const server = startProcess('docker-registry', ['serve', configFile]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const response = await fetch(`${url}/v2/`);
      return response.status === 200 || response.status === 401;
    },
    15000,
    () => `docker-registry did not start on ${url}: ${server.output()}`,
  );
  return {
    host: `127.0.0.1:${port}`,
    url,
    port,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PushedImage {
  readonly repository: string;
  readonly tag: string;
  /** The manifest's digest, `sha256:<hex>`. */
  readonly digest: string;
}

/**
 * Pushes a minimal image (one config blob, one layer, a Docker v2 schema 2 manifest) with plain
 * Registry HTTP API v2 calls. `authorization` is the full header value, if the registry needs one.
 */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  authorization?: string,
): Promise<PushedImage> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const layer = Buffer.from(`layer of ${repository}:${tag}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      config: {},
    }),
  );
  const upload = async (blob: Buffer): Promise<string> => {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
    if (start.status !== 202) throw new Error(`blob upload start answered ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', registryUrl);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    if (put.status !== 201) throw new Error(`blob upload answered ${put.status}`);
    return digest;
  };
  const configDigest = await upload(config);
  const layerDigest = await upload(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: configDigest,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: layer.length,
          digest: layerDigest,
        },
      ],
    }),
  );
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest upload answered ${put.status}`);
  return { repository, tag, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
}

/** The value of a Basic Authorization header. */
export function basicAuth(user: RegistryUser): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}
