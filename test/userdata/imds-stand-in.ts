import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** One request the stand-in answered. */
export interface ImdsRequest {
  readonly method: string;
  readonly path: string;
  /** Whether the request carried a token this stand-in issued. */
  readonly withValidToken: boolean;
  readonly status: number;
}

export interface RunningImds {
  /** `http://127.0.0.1:port`, the base the boot script takes in BRG_IMDS_ENDPOINT. */
  readonly url: string;
  readonly requests: readonly ImdsRequest[];
  stop(): Promise<void>;
}

const TOKEN_PATH = '/latest/api/token';

/**
 * A local stand-in for the EC2 instance metadata service in IMDSv2-only mode: `PUT
 * /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) issues a token; every
 * other request must carry it in `X-aws-ec2-metadata-token`, or gets 401 as on an instance whose
 * metadata options say `HttpTokens: required`.
 */
export async function startImds(options: { region: string; accountId?: string }): Promise<RunningImds> {
  const tokens = new Set<string>();
  const requests: ImdsRequest[] = [];
  const documents: Record<string, { type: string; body: string }> = {
    '/latest/meta-data/placement/region': { type: 'text/plain', body: options.region },
    '/latest/dynamic/instance-identity/document': {
      type: 'application/json',
      body: JSON.stringify({
        accountId: options.accountId ?? '123456789012',
        region: options.region,
        availabilityZone: `${options.region}a`,
        instanceId: 'i-0123456789abcdef0',
      }),
    },
  };
  const answer = (request: IncomingMessage, response: ServerResponse, withValidToken: boolean) => {
    const path = request.url ?? '';
    const reply = (status: number, type: string, body: string) => {
      requests.push({ method: request.method ?? '', path, withValidToken, status });
      response.writeHead(status, { 'content-type': type }).end(body);
    };
    if (path === TOKEN_PATH) {
      if (request.method !== 'PUT') return reply(405, 'text/plain', 'Method Not Allowed');
      const ttl = Number(request.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return reply(400, 'text/plain', 'Bad Request');
      const token = randomBytes(24).toString('base64url');
      tokens.add(token);
      return reply(200, 'text/plain', token);
    }
    if (!withValidToken) return reply(401, 'text/plain', 'Unauthorized');
    if (request.method !== 'GET') return reply(405, 'text/plain', 'Method Not Allowed');
    const document = documents[path];
    if (!document) return reply(404, 'text/plain', 'Not Found');
    return reply(200, document.type, document.body);
  };
  const server = createServer((request, response) => {
    const token = request.headers['x-aws-ec2-metadata-token'];
    answer(request, response, typeof token === 'string' && tokens.has(token));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the IMDS stand-in has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
