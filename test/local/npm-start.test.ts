import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { waitFor } from '../../scripts/servers/processes';
import { startLocalStack } from '../helpers/local-stack';

// `npm start` as a user runs it: the local stack comes up, answers HTTP, and Ctrl-C (SIGINT) or a
// SIGTERM to the npm process (what `kill` and process managers send) stops every process it started.

const root = join(__dirname, '..', '..');

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Process ids still in a process group. */
function groupMembers(pgid: number): string[] {
  const listed = spawnSync('ps', ['-o', 'pid=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  return listed.stdout.split('\n').filter((line) => line.trim() !== '');
}

describe('npm start', () => {
  it('serves the API backed by moto and a real registry, then stops everything on SIGINT', async () => {
    const { child, ports, output, stop } = await startLocalStack();
    try {
      const api = `http://127.0.0.1:${ports.BRG_HTTP_PORT}`;
      const registries = await fetch(`${api}/registries`);
      const submit = () =>
        fetch(`${api}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'npm-start-1' },
          body: JSON.stringify({
            image: `127.0.0.1:${ports.BRG_REGISTRY_PORT}/samples/hello:latest`,
            command: ['echo', 'hi'],
          }),
        });
      const submitted = await submit();
      const replayed = await submit();
      const job = (await submitted.json()) as { jobId: string };
      const readBack = await fetch(`${api}/jobs/${job.jobId}`);
      const listed = await new SecretsManagerClient({
        endpoint: `http://127.0.0.1:${ports.BRG_MOTO_PORT}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }).send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: ['batch-registry-gateway/local/registry/'] }],
        }),
      );
      const rotation = spawnSync('npm', ['run', 'local:rotate'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });

      expect(registries.status).toBe(200);
      expect(await registries.json()).toEqual({ registries: [`127.0.0.1:${ports.BRG_REGISTRY_PORT}`] });
      expect(submitted.status).toBe(202);
      expect(replayed.status).toBe(202);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replayed.json()) as { jobId: string }).jobId).toBe(job.jobId);
      expect(readBack.status).toBe(200);
      // The first rollout made the registry's credential secret for per-task credentials (SPEC §11).
      expect(listed.SecretList?.map((secret) => secret.Name)).toEqual([
        `batch-registry-gateway/local/registry/127.0.0.1_3a${ports.BRG_REGISTRY_PORT}`,
      ]);
      expect(output()).toContain('npm run local:rotate');
      expect(rotation.status).toBe(0);
      expect(rotation.stdout).toMatch(
        /finishSecret: ok\nAWSCURRENT is now [0-9a-f-]{36}; launch template default version 2/,
      );
    } finally {
      await stop();
    }

    expect(child.exitCode ?? child.signalCode).not.toBeNull();
    expect(output()).toContain('Stopped.');
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
  }, 240_000);

  it('stops everything when only the npm process gets SIGTERM', async () => {
    const { child, ports, exited, output, stop } = await startLocalStack();
    const pgid = child.pid ?? 0;
    const localStackPid = groupMembers(pgid).find((line) => line.includes('local-stack'));

    process.kill(pgid, 'SIGTERM');
    await waitFor(
      async () => !(await Promise.all(Object.values(ports).map(listening))).some(Boolean),
      30_000,
      () => `still listening after SIGTERM to npm:\n${groupMembers(pgid).join('\n')}\n${output()}`,
    );
    await waitFor(
      async () => groupMembers(pgid).length === 0,
      10_000,
      () => `left running: ${groupMembers(pgid).join('; ')}`,
    );
    await exited;
    await stop();

    expect(localStackPid).toBeDefined();
    expect(output()).toContain('Stopped.');
  }, 240_000);
});
