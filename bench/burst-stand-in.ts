// AWS Batch with its SubmitJob quota enforced, for the burst section of `npm run bench`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The job queue the stand-in describes. */
export const BURST_QUEUE = 'bench-burst-queue';

export interface BatchBurstStandIn {
  readonly url: string;
  /** SubmitJob calls accepted, by job name. */
  readonly landed: Map<string, number>;
  /** SubmitJob calls answered TooManyRequestsException. */
  throttled: number;
  /** Array sizes of the accepted SubmitJob calls that were array jobs. */
  readonly arraySizes: number[];
  stop(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

/**
 * AWS Batch (REST-JSON) with the SubmitJob quota enforced: at most `perSecond` SubmitJob calls are
 * accepted in any one-second window; the others answer 429 TooManyRequestsException, as Batch
 * does. Job definitions are kept; the queue is an EC2 FIFO queue.
 */
export async function startBatchBurstStandIn(perSecond: number): Promise<BatchBurstStandIn> {
  const accepted: number[] = [];
  const definitions: Record<string, unknown>[] = [];
  const state: BatchBurstStandIn = {
    url: '',
    landed: new Map(),
    throttled: 0,
    arraySizes: [],
    stop: async () => {},
  };
  const handle = (request: IncomingMessage, body: Buffer, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0];
    const input = (body.length > 0 ? JSON.parse(body.toString('utf8')) : {}) as Record<string, unknown>;
    if (path === '/v1/submitjob') {
      const now = Date.now();
      while (accepted.length > 0 && (accepted[0] ?? 0) <= now - 1000) accepted.shift();
      if (accepted.length >= perSecond) {
        state.throttled += 1;
        send(response, 429, { message: 'Too Many Requests' }, 'TooManyRequestsException');
        return;
      }
      accepted.push(now);
      const name = String(input.jobName);
      state.landed.set(name, (state.landed.get(name) ?? 0) + 1);
      const size = (input.arrayProperties as { size?: number } | undefined)?.size;
      if (size !== undefined) state.arraySizes.push(size);
      const jobId = randomUUID();
      send(response, 200, {
        jobArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job/${jobId}`,
        jobName: name,
        jobId,
      });
    } else if (path === '/v1/describejobdefinitions') {
      send(response, 200, {
        jobDefinitions: definitions.filter(
          (definition) => definition.jobDefinitionName === input.jobDefinitionName,
        ),
      });
    } else if (path === '/v1/registerjobdefinition') {
      const name = String(input.jobDefinitionName);
      const revision = definitions.filter((definition) => definition.jobDefinitionName === name).length + 1;
      const jobDefinitionArn = `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${name}:${revision}`;
      definitions.push({ ...input, jobDefinitionArn, revision, status: 'ACTIVE' });
      send(response, 200, { jobDefinitionName: name, jobDefinitionArn, revision });
    } else if (path === '/v1/describejobqueues') {
      send(response, 200, {
        jobQueues: [
          {
            jobQueueName: BURST_QUEUE,
            jobQueueArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${BURST_QUEUE}`,
            state: 'ENABLED',
            status: 'VALID',
            priority: 1,
            computeEnvironmentOrder: [
              {
                order: 1,
                computeEnvironment: `arn:aws:batch:${REGION}:${ACCOUNT}:compute-environment/bench-ce`,
              },
            ],
          },
        ],
      });
    } else if (path === '/v1/describecomputeenvironments') {
      send(response, 200, {
        computeEnvironments: [
          {
            computeEnvironmentName: 'bench-ce',
            computeEnvironmentArn: `arn:aws:batch:${REGION}:${ACCOUNT}:compute-environment/bench-ce`,
            type: 'MANAGED',
            state: 'ENABLED',
            status: 'VALID',
            computeResources: { type: 'EC2', maxvCpus: 256, subnets: ['subnet-1'] },
          },
        ],
      });
    } else {
      send(response, 400, { message: `the burst stand-in does not answer ${path}` }, 'ClientException');
    }
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, Buffer.concat(chunks), response));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
