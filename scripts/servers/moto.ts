import { freePort, requireCommand, startProcess, waitFor } from './processes';

export interface RunningMoto {
  /** `http://127.0.0.1:port`: give it to the SDK as AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  readonly port: number;
  /** Environment for an SDK client or the AWS CLI pointed at this moto. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export const MOTO_INSTALL_HINT = 'python3 -m pip install "moto[server]"';

/** Starts moto's server on a free loopback port, with Batch and Lambda set to run without Docker. */
export async function startMoto(options: { port?: number; region?: string } = {}): Promise<RunningMoto> {
  requireCommand('python3', 'apt-get install -y python3');
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const server = startProcess('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)]);
  await waitFor(
    async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok,
    30000,
    () => `moto did not start on ${endpoint} (install it with: ${MOTO_INSTALL_HINT}): ${server.output()}`,
  );
  const configured = await fetch(`${endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { use_docker: false }, lambda: { use_docker: false } }),
  });
  if (!configured.ok) throw new Error(`moto config answered ${configured.status}`);
  const region = options.region ?? 'us-east-1';
  return {
    endpoint,
    port,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    },
    stop: () => server.stop(),
  };
}
