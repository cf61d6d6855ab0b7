// Loopback HTTP stand-ins for the AWS APIs the gateway calls (AWS Batch REST-JSON, Secrets Manager
// JSON 1.1), and a counting proxy in front of the registry. Each counts the calls it answers.
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Calls answered, by operation (`POST /v1/submitjob`, `secretsmanager.GetSecretValue`, `HEAD /v2/...`). */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  add(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }
}

/** The calls made between two snapshots. */
export function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [operation, count] of after) {
    const delta = count - (before.get(operation) ?? 0);
    if (delta > 0) result.set(operation, delta);
  }
  return result;
}

export interface StandIn {
  readonly url: string;
  /** The JSON body of the last request answered, if any (the Batch stand-in records SubmitJob's). */
  readonly lastRequest?: () => Record<string, unknown> | undefined;
  readonly host: string;
  readonly calls: CallCounter;
  stop(): Promise<void>;
}

export async function listen(
  handle: (request: IncomingMessage, body: Buffer, response: ServerResponse) => Promise<void> | void,
): Promise<{ server: Server; url: string; host: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve(handle(request, Buffer.concat(chunks), response)).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(error instanceof Error ? error.message : 'stand-in failed');
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export const delay = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

export function sendJson(response: ServerResponse, status: number, body: unknown, contentType: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

export function parseBody(body: Buffer): Record<string, unknown> {
  const value: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

interface StoredDefinition {
  readonly jobDefinitionName: string;
  readonly jobDefinitionArn: string;
  readonly revision: number;
  readonly status: 'ACTIVE';
  readonly type: string;
  readonly containerProperties: unknown;
  readonly platformCapabilities: unknown;
}

/**
 * AWS Batch (REST-JSON): SubmitJob, DescribeJobDefinitions and RegisterJobDefinition, with job
 * definitions kept across calls (so a second container finds the ACTIVE one the first registered);
 * DescribeJobQueues (each queue on one compute environment `<queue>-ce`) and
 * DescribeComputeEnvironments (Fargate when the name holds `fargate`, else EC2), by which the
 * gateway learns its queue's platform. Anything else answers ClientException.
 */
export async function startBatchStandIn(latencyMs: number): Promise<StandIn> {
  const calls = new CallCounter();
  const definitions: StoredDefinition[] = [];
  let lastSubmitJob: Record<string, unknown> | undefined;
  const json = 'application/json';
  const { server, url, host } = await listen(async (request, body, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    calls.add(`${request.method} ${path}`);
    await delay(latencyMs);
    const input = parseBody(body);
    if (request.method === 'POST' && path === '/v1/submitjob') {
      lastSubmitJob = input;
      const jobId = randomUUID();
      sendJson(
        response,
        200,
        { jobArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job/${jobId}`, jobName: input.jobName, jobId },
        json,
      );
    } else if (request.method === 'POST' && path === '/v1/describejobdefinitions') {
      const matching = definitions.filter(
        (definition) =>
          (input.jobDefinitionName === undefined ||
            definition.jobDefinitionName === input.jobDefinitionName) &&
          (input.status === undefined || definition.status === input.status),
      );
      sendJson(response, 200, { jobDefinitions: matching }, json);
    } else if (request.method === 'POST' && path === '/v1/describejobqueues') {
      const names = Array.isArray(input.jobQueues) ? input.jobQueues.map(String) : [];
      const jobQueues = names.map((name) => ({
        jobQueueName: name,
        jobQueueArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${name}`,
        state: 'ENABLED',
        status: 'VALID',
        priority: 1,
        computeEnvironmentOrder: [
          {
            order: 1,
            computeEnvironment: `arn:aws:batch:${REGION}:${ACCOUNT}:compute-environment/${name}-ce`,
          },
        ],
      }));
      sendJson(response, 200, { jobQueues }, json);
    } else if (request.method === 'POST' && path === '/v1/describecomputeenvironments') {
      const arns = Array.isArray(input.computeEnvironments) ? input.computeEnvironments.map(String) : [];
      const computeEnvironments = arns.map((arn) => ({
        computeEnvironmentName: arn.split('/').pop(),
        computeEnvironmentArn: arn,
        type: 'MANAGED',
        state: 'ENABLED',
        status: 'VALID',
        computeResources: {
          type: arn.includes('fargate') ? 'FARGATE' : 'EC2',
          maxvCpus: 256,
          subnets: ['subnet-0a1b2c3d'],
        },
      }));
      sendJson(response, 200, { computeEnvironments }, json);
    } else if (request.method === 'POST' && path === '/v1/registerjobdefinition') {
      const name = String(input.jobDefinitionName);
      const revision = definitions.filter((definition) => definition.jobDefinitionName === name).length + 1;
      const jobDefinitionArn = `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${name}:${revision}`;
      definitions.push({
        jobDefinitionName: name,
        jobDefinitionArn,
        revision,
        status: 'ACTIVE',
        type: String(input.type),
        containerProperties: input.containerProperties,
        platformCapabilities: input.platformCapabilities,
      });
      sendJson(response, 200, { jobDefinitionName: name, jobDefinitionArn, revision }, json);
    } else {
      response.setHeader('x-amzn-errortype', 'ClientException');
      sendJson(response, 400, { message: `the bench stand-in does not answer ${path}` }, json);
    }
  });
  return { url, host, calls, lastRequest: () => lastSubmitJob, stop: () => close(server) };
}

/**
 * Secrets Manager (JSON 1.1): GetSecretValue answers AWSCURRENT with `secretString`; DescribeSecret
 * answers any name as an existing secret (the registry credential secrets of SPEC §11).
 */
export async function startSecretsManagerStandIn(
  latencyMs: number,
  secret: {
    readonly arn: string;
    readonly name: string;
    readonly versionId: string;
    readonly secretString: string;
  },
): Promise<StandIn> {
  const calls = new CallCounter();
  const json = 'application/x-amz-json-1.1';
  const { server, url, host } = await listen(async (request, body, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    calls.add(target);
    await delay(latencyMs);
    if (request.method === 'POST' && target === 'secretsmanager.GetSecretValue') {
      sendJson(
        response,
        200,
        {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: secret.versionId,
          SecretString: secret.secretString,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1741947302.417,
        },
        json,
      );
    } else if (request.method === 'POST' && target === 'secretsmanager.DescribeSecret') {
      const name = String(parseBody(body).SecretId ?? '');
      sendJson(
        response,
        200,
        { ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`, Name: name },
        json,
      );
    } else {
      sendJson(
        response,
        400,
        { __type: 'InvalidRequestException', message: `the bench stand-in does not answer ${target}` },
        json,
      );
    }
  });
  return { url, host, calls, stop: () => close(server) };
}

/**
 * A reverse proxy to `targetPort` on loopback that counts every request by method and path, so
 * the registry calls a client makes are counted where they arrive.
 */
export async function startCountingProxy(targetPort: number): Promise<StandIn> {
  const calls = new CallCounter();
  const agent = new Agent({ keepAlive: true });
  const { server, url, host } = await listen(
    (request, body, response) =>
      new Promise<void>((resolve, reject) => {
        const path = request.url ?? '/';
        calls.add(`${request.method} ${path.split('?')[0]}`);
        const upstream = httpRequest(
          {
            host: '127.0.0.1',
            port: targetPort,
            method: request.method,
            path,
            headers: { ...request.headers, host: `127.0.0.1:${targetPort}` },
            agent,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
            answer.on('end', () => resolve());
            answer.on('error', reject);
          },
        );
        upstream.on('error', reject);
        upstream.end(body);
      }),
  );
  return {
    url,
    host,
    calls,
    stop: async () => {
      await close(server);
      agent.destroy();
    },
  };
}
