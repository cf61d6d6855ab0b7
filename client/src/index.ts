export type * from './api-types';
export {
  type CallOptions,
  createGatewayClient,
  FINAL_STATUSES,
  type GatewayClient,
  type GatewayClientOptions,
  type JobLogsOptions,
  type SubmitJobOptions,
  type SubmitJobResult,
  type WaitForJobOptions,
} from './client';
export { type FieldError, GatewayError } from './errors';
export type { RetryOptions } from './retry';
export type { Credentials } from './transport';
