import { randomUUID } from 'node:crypto';
import type {
  CancelledJob,
  GetJobLogsQuery,
  Job,
  JobLogs,
  Registries,
  SubmitJobRequest,
  SubmittedJob,
} from './api-types';
import { sleep } from './retry';
import { Transport, type TransportOptions } from './transport';

export type GatewayClientOptions = TransportOptions;

/** Every call takes an AbortSignal. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface SubmitJobOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key` (1–255 printable ASCII characters, no comma). Default: a new UUID per
   * call, kept across that call's retries, so a retried submit never makes a second job.
   */
  readonly idempotencyKey?: string;
}

export interface SubmitJobResult extends SubmittedJob {
  /** The key sent: submit again with it to get this same answer instead of a second job. */
  readonly idempotencyKey: string;
  /** True when the gateway answered from an earlier request with this key (nothing new was submitted). */
  readonly replayed: boolean;
}

export interface JobLogsOptions extends CallOptions, GetJobLogsQuery {
  /**
   * Keep polling a running job until it finishes (`pollIntervalMs` between empty pages). Default
   * false: stop at the first empty page, with what has been written so far.
   */
  readonly follow?: boolean;
  /** Default 2000. */
  readonly pollIntervalMs?: number;
}

export interface WaitForJobOptions extends CallOptions {
  /** First wait between polls; doubles up to `maxDelayMs`. Default 1000. */
  readonly initialDelayMs?: number;
  /** Default 30000. */
  readonly maxDelayMs?: number;
}

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED']);

export interface GatewayClient {
  /** `POST /jobs`. */
  submitJob(request: SubmitJobRequest, options?: SubmitJobOptions): Promise<SubmitJobResult>;
  /** `GET /jobs/{jobId}`. */
  getJob(jobId: string, options?: CallOptions): Promise<Job>;
  /** `DELETE /jobs/{jobId}`. */
  cancelJob(jobId: string, options?: CallOptions): Promise<CancelledJob>;
  /** `GET /jobs/{jobId}/logs`, page after page, oldest events first. */
  getJobLogs(jobId: string, options?: JobLogsOptions): AsyncIterableIterator<JobLogs>;
  /** `GET /registries`. */
  listRegistries(options?: CallOptions): Promise<Registries>;
  /** Polls `GET /jobs/{jobId}` with back-off until the job is SUCCEEDED or FAILED. */
  waitForJob(jobId: string, options?: WaitForJobOptions): Promise<Job>;
}

const jobPath = (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`;

/** A client of the gateway's HTTP API: SigV4-signed, retrying 429/502/503 within bounds. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const transport = new Transport(options);

  const getJob = async (jobId: string, call: CallOptions = {}) =>
    (await transport.send<Job>({ method: 'GET', path: jobPath(jobId), signal: call.signal })).body;

  return {
    async submitJob(request, call = {}) {
      const idempotencyKey = call.idempotencyKey ?? randomUUID();
      const answer = await transport.send<SubmittedJob>({
        method: 'POST',
        path: '/jobs',
        body: request,
        headers: { 'idempotency-key': idempotencyKey },
        signal: call.signal,
      });
      return {
        ...answer.body,
        idempotencyKey,
        replayed: answer.headers.get('idempotent-replayed') === 'true',
      };
    },

    getJob,

    async cancelJob(jobId, call = {}) {
      return (
        await transport.send<CancelledJob>({ method: 'DELETE', path: jobPath(jobId), signal: call.signal })
      ).body;
    },

    async *getJobLogs(jobId, call = {}) {
      let nextToken = call.nextToken;
      for (;;) {
        const page = (
          await transport.send<JobLogs>({
            method: 'GET',
            path: `${jobPath(jobId)}/logs`,
            query: { limit: call.limit === undefined ? undefined : String(call.limit), nextToken },
            signal: call.signal,
          })
        ).body;
        yield page;
        if (page.nextToken === undefined) return;
        if (page.events.length === 0) {
          if (!call.follow) return;
          await sleep(call.pollIntervalMs ?? 2000, call.signal);
        }
        nextToken = page.nextToken;
      }
    },

    async listRegistries(call = {}) {
      return (await transport.send<Registries>({ method: 'GET', path: '/registries', signal: call.signal }))
        .body;
    },

    async waitForJob(jobId, call = {}) {
      const maxDelayMs = call.maxDelayMs ?? 30_000;
      let delayMs = Math.min(call.initialDelayMs ?? 1000, maxDelayMs);
      for (;;) {
        const job = await getJob(jobId, call);
        if (FINAL_STATUSES.has(job.status)) return job;
        // ±20 % jitter, so many waiting callers do not poll in step
        await sleep(delayMs * (0.8 + 0.4 * Math.random()), call.signal);
        delayMs = Math.min(maxDelayMs, delayMs * 2);
      }
    },
  };
}
