import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort, waitFor } from '../../scripts/servers/processes';

const root = join(__dirname, '..', '..');

/** The local stack's four ports, as `npm start` reads them from the environment. */
export interface LocalStackPorts {
  readonly BRG_HTTP_PORT: number;
  readonly BRG_LAMBDA_PORT: number;
  readonly BRG_MOTO_PORT: number;
  readonly BRG_REGISTRY_PORT: number;
}

export interface RunningLocalStack {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly ports: LocalStackPorts;
  /** Settles when the npm process exits. */
  readonly exited: Promise<number | null>;
  /** All it has printed so far (stdout and stderr). */
  output(): string;
  /** Ctrl-C to its process group if it still runs, waits up to 20 s for it to exit, closes the pipes. */
  stop(): Promise<void>;
}

/**
 * `npm start` as a user runs it, in its own process group on free ports (plus `env`); resolves once
 * the gateway is up, and stops it again if it does not come up within `timeoutMs`.
 */
export async function startLocalStack(
  env: Record<string, string> = {},
  timeoutMs = 150_000,
): Promise<RunningLocalStack> {
  const ports: LocalStackPorts = {
    BRG_HTTP_PORT: await freePort(),
    BRG_LAMBDA_PORT: await freePort(),
    BRG_MOTO_PORT: await freePort(),
    BRG_REGISTRY_PORT: await freePort(),
  };
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
    clearTimeout(timer);
    child.stdout.destroy();
    child.stderr.destroy();
  };
  try {
    await waitFor(
      async () => output.includes('The gateway is up'),
      timeoutMs,
      () => `npm start output:\n${output}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, ports, exited, output: () => output, stop };
}
