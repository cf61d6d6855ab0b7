import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryUser } from '../../scripts/servers/registry';

export interface SelfSignedCertificate {
  /** Directory holding `key.pem` and `cert.pem`; removed by `remove()`. */
  readonly dir: string;
  readonly keyPem: string;
  readonly certPem: string;
  readonly certFile: string;
  remove(): void;
}

/** Makes an RSA key and a self-signed certificate with `openssl req -x509` in a temp directory. */
export function makeSelfSignedCertificate(commonName: string): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'brg-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return {
    dir,
    keyPem: readFileSync(keyFile, 'utf8'),
    certPem: readFileSync(certFile, 'utf8'),
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TokenServer {
  /** The token endpoint, for the registry's `auth.token.realm`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file with the signing certificate, for the registry's `auth.token.rootcertbundle`. */
  readonly rootCertBundle: string;
  /** How many token requests arrived (accepted or not). */
  requestCount(): number;
  /** Issues a token directly (no HTTP), e.g. to push test images. */
  issue(subject: string, scopes: readonly string[]): string;
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  readonly users: readonly RegistryUser[];
  readonly service?: string;
  readonly issuer?: string;
  /** `expires_in` reported to clients, in seconds (the JWT itself lives 5 minutes). */
  readonly expiresIn?: number;
  /**
   * Repositories a token never reaches, as Docker Hub does for a repository that is missing or
   * private to others: the token is issued, with no access to them.
   */
  readonly denied?: readonly string[];
}

interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

const GRANTABLE = new Set(['pull', 'push']);

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** `repository:team/app:pull,push` → access entry; unknown actions are dropped. */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((action) => GRANTABLE.has(action));
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function basicUser(request: IncomingMessage): RegistryUser | undefined {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A small Docker token service for tests: checks Basic credentials against `users` and answers
 * `{token, access_token, expires_in, issued_at}` with an RS256 JWT whose `x5c` header carries a
 * self-signed certificate. Configure the registry with `rootCertBundle` so it trusts that chain.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const service = options.service ?? 'brg-test-registry';
  const issuer = options.issuer ?? 'brg-test-token-issuer';
  const certificate = makeSelfSignedCertificate('brg-test-token-signer');
  const key = createPrivateKey(certificate.keyPem);
  const x5c = [new X509Certificate(certificate.certPem).raw.toString('base64')];
  let requests = 0;

  const issue = (subject: string, scopes: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c };
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: scopes.map(parseScope).filter((access) => access !== undefined),
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    requests += 1;
    const url = new URL(request.url ?? '/', 'http://token.invalid');
    const user = basicUser(request);
    const known = options.users.find((u) => u.username === user?.username && u.password === user?.password);
    if (url.pathname !== '/token' || url.searchParams.get('service') !== service) {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"BAD_REQUEST"}]}');
      return;
    }
    if (!known) {
      response
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': 'Basic realm="brg-test-token"',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const denied = new Set(options.denied ?? []);
    const scopes = url.searchParams
      .getAll('scope')
      .filter((scope) => !denied.has(parseScope(scope)?.name ?? ''));
    const token = issue(known.username, scopes);
    const body = {
      token,
      access_token: token,
      expires_in: options.expiresIn ?? 300,
      issued_at: new Date().toISOString(),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token server has no TCP address');
  const port = address.port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certificate.certFile,
    requestCount: () => requests,
    issue,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certificate.remove();
    },
  };
}
