import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stand-in received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the stand-in answers: a response, or `drop` (close the connection with no answer). */
export type Scripted =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | 'drop';

export interface StandIn {
  readonly url: string;
  readonly received: Received[];
  stop(): Promise<void>;
}

/**
 * A loopback HTTP server standing in for API Gateway: answers each request with the next scripted
 * answer (the last one repeats) and keeps what it received.
 */
export async function startStandIn(
  script: readonly Scripted[] | ((request: Received) => Scripted),
): Promise<StandIn> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const got = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(got);
      const answer =
        typeof script === 'function'
          ? script(got)
          : (script[received.length - 1] ?? script[script.length - 1]);
      if (answer === undefined || answer === 'drop') {
        request.socket.destroy();
        return;
      }
      const problem = answer.status >= 400 && (answer.body as { title?: unknown })?.title !== undefined;
      response.writeHead(answer.status, {
        'content-type': problem ? 'application/problem+json' : 'application/json',
        'apigw-requestid': `req-${received.length}`,
        ...answer.headers,
      });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
