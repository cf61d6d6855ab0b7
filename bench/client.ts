// Section 5: the client package's own cost per call (SigV4 signing, retry bookkeeping, parsing)
// against a hand-written signed fetch, both to the same loopback stand-in of the API.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createGatewayClient } from '../client/src';
import {
  median,
  metOrNot,
  ms,
  percentile,
  preciseRatio,
  progress,
  ratio,
  type TargetResult,
  table,
} from './report';

const ROUNDS = 5;
const BLOCK = 200;
const WARMUP = 50;
const MAX_CLIENT_RATIO = 1.2;
const JOB_ID = '2c6c1a8e-5f0b-4b7e-9a57-0e3c1d2f4a6b';
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'bench-not-a-secret-access-key' };
const JOB = JSON.stringify({
  jobId: JOB_ID,
  jobName: 'app-1',
  status: 'RUNNING',
  image: 'ghcr.io/acme/app:1',
  createdAt: '2026-12-01T12:00:00.000Z',
  startedAt: '2026-12-01T12:00:30.000Z',
  logStreamName: 'brg-app/default/8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b',
});

export interface ClientSection {
  readonly markdown: string;
  readonly targets: readonly TargetResult[];
}

/** Section 5: `getJob` through the client against a raw signed fetch, interleaved blocks. */
export async function clientSection(): Promise<ClientSection> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JOB);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const gateway = createGatewayClient({ endpoint, region: 'eu-west-1', credentials });
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials,
      sha256: Sha256,
    });
    const url = new URL(`/jobs/${JOB_ID}`, endpoint);
    const raw = async () => {
      const signed = await signer.sign({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host, accept: 'application/json' },
      });
      const { host: _host, ...headers } = signed.headers;
      const response = await fetch(url, { headers });
      return (await response.json()) as unknown;
    };
    const viaClient = () => gateway.getJob(JOB_ID);

    progress(`client overhead: ${ROUNDS * BLOCK} getJob calls each side`);
    for (let i = 0; i < WARMUP; i += 1) {
      await raw();
      await viaClient();
    }
    const clientMs: number[] = [];
    const rawMs: number[] = [];
    const time = async (call: () => Promise<unknown>, into: number[]) => {
      const started = performance.now();
      await call();
      into.push(performance.now() - started);
    };
    // Call by call, the order flipping each time, so load on the machine hits both sides alike.
    for (let i = 0; i < ROUNDS * BLOCK; i += 1) {
      if (i % 2 === 0) {
        await time(viaClient, clientMs);
        await time(raw, rawMs);
      } else {
        await time(raw, rawMs);
        await time(viaClient, clientMs);
      }
    }
    const clientP50 = median(clientMs);
    const rawP50 = median(rawMs);
    const markdown = [
      '### 5. Client package: cost per call',
      '',
      `\`getJob\` through \`@batch-registry-gateway/client\` against a hand-written call (SignatureV4.sign, fetch,`,
      `response.json()), ${ROUNDS * BLOCK} calls each, alternating call by call (the order flipping), to the same`,
      'loopback stand-in answering a job; static credentials (the default chain is resolved once either way).',
      '',
      table(
        ['side', 'p50', 'p90', 'p99'],
        [
          ['client getJob', ms(clientP50), ms(percentile(clientMs, 90)), ms(percentile(clientMs, 99))],
          ['raw signed fetch', ms(rawP50), ms(percentile(rawMs, 90)), ms(percentile(rawMs, 99))],
          ['ratio (p50)', ratio(clientP50 / rawP50), '', ''],
        ],
      ),
    ].join('\n');
    progress(`client overhead ${metOrNot(clientP50 / rawP50 <= MAX_CLIENT_RATIO)}`);
    return {
      markdown,
      targets: [
        {
          target: `client call ≤ ${ratio(MAX_CLIENT_RATIO)} a raw signed fetch (p50)`,
          measured: `${ms(clientP50)} / ${ms(rawP50)} = ${preciseRatio(clientP50 / rawP50)}`,
          met: clientP50 / rawP50 <= MAX_CLIENT_RATIO,
        },
      ],
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
