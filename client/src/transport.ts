import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { errorFromResponse, GatewayError } from './errors';
import {
  parseRetryAfter,
  RETRYABLE_STATUSES,
  type RetryOptions,
  type RetryPolicy,
  retryDelayMs,
  retryPolicy,
  sleep,
} from './retry';

/** AWS credentials, or a function returning them (the SDK's credential providers are such functions). */
export type Credentials = NonNullable<ConstructorParameters<typeof SignatureV4>[0]['credentials']>;

export interface TransportOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  /** The API's region, for the SigV4 signature (service `execute-api`). */
  readonly region: string;
  /** Default: the AWS SDK's default credential chain (environment, SSO, profiles, container, instance). */
  readonly credentials?: Credentials;
  readonly retry?: RetryOptions;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below the endpoint, segments already URI-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

export interface Answer<T> {
  readonly body: T;
  readonly headers: Headers;
  readonly status: number;
  readonly attempts: number;
}

/** Signs each request with SigV4, sends it, and retries 429, 502, 503 and network failures (bounded). */
export class Transport {
  private readonly base: URL;
  private readonly signer: SignatureV4;
  private readonly policy: RetryPolicy;
  private readonly fetch: typeof fetch;

  constructor(options: TransportOptions) {
    this.base = new URL(options.endpoint);
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials ?? fromNodeProviderChain(),
      sha256: Sha256,
    });
    this.policy = retryPolicy(options.retry);
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Sends `call` (re-signed on every attempt); throws GatewayError for anything but 2xx. */
  async send<T>(call: Call): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetch(...(await this.signed(call)));
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (attempt >= this.policy.maxAttempts) {
          throw new GatewayError({
            status: 0,
            title: 'Network Error',
            detail: `The gateway could not be reached: ${error instanceof Error ? error.message : String(error)}`,
            attempts: attempt,
            cause: error,
          });
        }
        await sleep(retryDelayMs(this.policy, attempt, undefined), call.signal);
        continue;
      }
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      // A 409 with Retry-After is an earlier attempt of this same submit still in flight (§14).
      const retryable =
        RETRYABLE_STATUSES.has(response.status) ||
        (response.status === 409 && retryAfterSeconds !== undefined);
      if (retryable && attempt < this.policy.maxAttempts) {
        await response.body?.cancel();
        await sleep(retryDelayMs(this.policy, attempt, retryAfterSeconds), call.signal);
        continue;
      }
      const body = await readBody(response);
      if (!response.ok) {
        throw errorFromResponse(response.status, response.statusText, body, {
          retryAfterSeconds,
          requestId:
            response.headers.get('apigw-requestid') ?? response.headers.get('x-amzn-requestid') ?? undefined,
          attempts: attempt,
        });
      }
      return { body: body as T, headers: response.headers, status: response.status, attempts: attempt };
    }
  }

  private async signed(call: Call): Promise<[string, RequestInit]> {
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const query = Object.fromEntries(
      Object.entries(call.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      host: this.base.host,
      accept: 'application/json, application/problem+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...call.headers,
    };
    const request = await this.signer.sign({
      method: call.method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(this.base.port ? { port: Number(this.base.port) } : {}),
      path: `${basePath}${call.path}`,
      query,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const url = new URL(`${basePath}${call.path}`, this.base);
    url.search = Object.entries(query)
      .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
      .join('&');
    // fetch sets Host itself, from the URL (the same value that was signed).
    const { host: _host, ...sent } = request.headers;
    return [
      url.toString(),
      {
        method: call.method,
        headers: sent,
        ...(body === undefined ? {} : { body }),
        signal: call.signal ?? null,
      },
    ];
  }
}

/** Percent-encoding as SigV4 canonicalises it (encodeURIComponent leaves !'()* alone). */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 500) };
  }
}
