// Section 2's parent ↔ child protocol and run settings (bench/gateway.ts runs the passes,
// bench/gateway-pass.ts is the child, bench/gateway-report.ts renders them).

/** Requests per side in each pass: ROUNDS blocks of handler calls, raw calls (and raw manifest HEADs). */
export const ROUNDS = 10;
/**
 * Per block (3000 samples a side in a pass). p99 is the median of the ROUNDS per-block p99s: one
 * burst of machine noise moves one block's p99, not the reported one. The uncached pass is slower.
 */
export const BLOCK = 300;
export const UNCACHED_BLOCK = 100;
export const WARMUP = 30;
/** Added latency of every AWS stand-in: 0, so the ratios are the gateway's own work. */
export const AWS_LATENCY_MS = 0;

export const GATEWAY_PASS_FLAG = '--gateway-pass';

export type Phase = 'first' | 'warmup' | 'handler' | 'raw' | 'manifest';

/** What a pass measured, per request, in the order the requests ran. */
export interface PassSamples {
  readonly handlerMs: number[];
  readonly rawMs: number[];
  readonly manifestMs: number[];
  /** CPU time (user + system) of the process per request, µs. */
  readonly handlerCpuUs: number[];
  readonly rawCpuUs: number[];
  /** Per handler request: milliseconds of garbage-collection pauses inside it. */
  readonly handlerGcMs: number[];
}

/** Child → parent. */
export type ChildMessage =
  | { readonly kind: 'mark'; readonly phase: Phase; readonly edge: 'start' | 'end' }
  | ({ readonly kind: 'result' } & PassSamples)
  | { readonly kind: 'failed'; readonly message: string };

/** Parent → child: the answer to a mark; after the first request, the SubmitJob input it sent. */
export interface ParentMessage {
  readonly kind: 'ack';
  readonly submitJobInput?: Record<string, unknown>;
  /** Basic authorization for the raw manifest HEAD (sent over IPC, not argv, so `ps` shows no credential). */
  readonly registryAuthorization?: string;
}

export interface PassConfig {
  /** The packaged submitJob bundle (from `serverless package`). */
  readonly handlerFile: string;
  /** `BatchClient` and `SubmitJobCommand`, bundled with the functions' esbuild settings. */
  readonly rawClientFile: string;
  readonly image: string;
  readonly rounds: number;
  readonly block: number;
  readonly warmup: number;
  /** Also time a raw manifest HEAD (the registry round trip the uncached handler makes). */
  readonly manifestProbe: boolean;
  /** Send an Idempotency-Key: a new one per request, or the same one (every request after the first replays). */
  readonly idempotency?: 'new-key' | 'replay';
}
export interface PhaseCalls {
  aws: Map<string, number>;
  registry: Map<string, number>;
}

export interface PassResult extends PassSamples {
  readonly label: string;
  readonly block: number;
  readonly calls: Record<Phase, PhaseCalls>;
}
