import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatewayClient, FINAL_STATUSES, GatewayError } from '../../client/src';
import { fetchCheckedAgainstApi } from '../helpers/api-contract';
import { startLocalStack } from '../helpers/local-stack';

// The client end to end against the local stack (`npm start`: moto, the real registry,
// serverless-offline); every answer is also checked against openapi.json.

const state = mkdtempSync(join(tmpdir(), 'brg-client-e2e-'));
let stop: (() => Promise<void>) | undefined;
let api = '';
let registryPort = 0;

beforeAll(async () => {
  const stack = await startLocalStack(
    { BRG_LOCAL_STATE_FILE: join(state, 'stack.json'), BRG_ESBUILD_WORK_FOLDER: '.esbuild-client-e2e' },
    180_000,
  );
  stop = stack.stop;
  registryPort = stack.ports.BRG_REGISTRY_PORT;
  api = (JSON.parse(readFileSync(join(state, 'stack.json'), 'utf8')) as { apiUrl: string }).apiUrl;
}, 200_000);

afterAll(async () => {
  await stop?.();
  rmSync(state, { recursive: true, force: true });
});

function client() {
  return createGatewayClient({
    endpoint: api,
    region: 'us-east-1',
    // IAM auth is off locally; the requests are signed all the same.
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'local-e2e-not-a-secret' },
    fetch: fetchCheckedAgainstApi(),
    retry: { maxAttempts: 2, baseDelayMs: 50 },
  });
}

describe('client against the local stack', () => {
  it('lists registries, submits, reads, waits for and reads the output of a job', async () => {
    const gateway = client();
    const image = `127.0.0.1:${registryPort}/samples/hello:latest`;

    const registries = await gateway.listRegistries();
    const submitted = await gateway.submitJob({ image, command: ['echo', 'hello'], tags: { team: 'e2e' } });
    const read = await gateway.getJob(submitted.jobId);
    const finished = await gateway.waitForJob(submitted.jobId, { initialDelayMs: 200, maxDelayMs: 1000 });
    const pages = [];
    for await (const page of gateway.getJobLogs(submitted.jobId, { limit: 10 })) pages.push(page);

    expect(registries).toEqual({ registries: [`127.0.0.1:${registryPort}`] });
    expect(submitted).toMatchObject({ image, jobName: 'hello-latest', idempotencyKey: expect.any(String) });
    expect(read).toMatchObject({ jobId: submitted.jobId, image });
    expect(FINAL_STATUSES.has(finished.status)).toBe(true);
    // moto runs no container, so a job has no log stream: one page, no events
    expect(pages).toEqual([{ events: [] }]);
  }, 120_000);

  it('throws GatewayError with the problem fields for 400, 404 and 409', async () => {
    const gateway = client();
    const image = `127.0.0.1:${registryPort}/samples/hello:latest`;
    const submitted = await gateway.submitJob({ image });
    await gateway.waitForJob(submitted.jobId, { initialDelayMs: 200, maxDelayMs: 1000 });

    const invalid = await gateway.submitJob({ image, memory: 1 }).catch((error: unknown) => error);
    const unknown = await gateway
      .getJob('00000000-0000-4000-8000-000000000000')
      .catch((error: unknown) => error);
    const finished = await gateway.cancelJob(submitted.jobId).catch((error: unknown) => error);

    expect(invalid).toBeInstanceOf(GatewayError);
    expect(invalid).toMatchObject({
      status: 400,
      title: 'Bad Request',
      errors: [{ path: 'memory', message: 'must be at least 4 (MiB)' }],
      attempts: 1,
    });
    expect(unknown).toMatchObject({ status: 404, title: 'Not Found' });
    expect(finished).toMatchObject({ status: 409, title: 'Conflict' });
  }, 120_000);
});
