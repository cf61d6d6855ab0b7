import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// Checks a response against the committed openapi.json: the status is documented for the route,
// the content type is one the document names, the body matches its schema, and every required
// header is there. The integration and client tests call it on every response they receive.

type Json = { [key: string]: unknown };

const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8')) as Json;
const schemas = (document.components as Json).schemas as Record<string, Json>;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

function validatorFor(reference: string): ValidateFunction {
  const name = reference.slice(reference.lastIndexOf('/') + 1);
  let validate = compiled.get(name);
  if (!validate) {
    const schema = schemas[name];
    if (!schema) throw new Error(`openapi.json has no schema ${name}`);
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

export interface ApiResponse {
  readonly statusCode: number;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body: string | undefined;
}

/**
 * Throws when `response` is not what openapi.json documents for `routeKey` (`GET /jobs/{jobId}`,
 * as payload 2.0's routeKey spells it); returns the parsed body.
 */
export function assertMatchesApi(routeKey: string, response: ApiResponse): unknown {
  const [method = '', path = ''] = routeKey.split(' ');
  const operation = (document.paths as Record<string, Json>)[path]?.[method.toLowerCase()] as
    | Json
    | undefined;
  if (!operation) throw new Error(`openapi.json has no operation ${routeKey}`);
  const documented = (operation.responses as Record<string, Json>)[String(response.statusCode)];
  if (!documented) throw new Error(`openapi.json documents no ${response.statusCode} for ${routeKey}`);
  const headers = Object.fromEntries(
    Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  for (const [name, header] of Object.entries((documented.headers ?? {}) as Record<string, Json>)) {
    if (header.required && headers[name.toLowerCase()] === undefined) {
      throw new Error(`${routeKey} ${response.statusCode} lacks the header ${name} openapi.json requires`);
    }
  }
  const contentType =
    String(headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  const media = ((documented.content ?? {}) as Record<string, Json>)[contentType];
  if (!media) {
    throw new Error(
      `openapi.json documents no ${contentType || 'missing'} content for ${routeKey} ${response.statusCode}`,
    );
  }
  const body = JSON.parse(response.body ?? '') as unknown;
  const validate = validatorFor(String((media.schema as Json).$ref));
  if (!validate(body)) {
    throw new Error(
      `${routeKey} ${response.statusCode} body does not match openapi.json: ${ajv.errorsText(validate.errors)}\n${response.body}`,
    );
  }
  return body;
}

interface HandlerResult {
  readonly statusCode?: number;
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
  readonly body?: string;
}

/** Wraps a payload 2.0 handler so every response it gives is checked with assertMatchesApi. */
export function checkedAgainstApi<E extends { routeKey: string }, C, R extends HandlerResult>(
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  return async (event, context) => {
    const result = await handler(event, context);
    assertMatchesApi(event.routeKey, {
      statusCode: result.statusCode ?? 200,
      headers: result.headers ?? {},
      body: result.body,
    });
    return result;
  };
}

/** The route key (`GET /jobs/{jobId}`) of a method and URL path, by openapi.json's path templates. */
export function routeKeyOf(method: string, pathname: string): string {
  const template = Object.keys(document.paths as Json).find((candidate) =>
    new RegExp(`^${candidate.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname),
  );
  if (!template) throw new Error(`openapi.json has no path for ${pathname}`);
  return `${method.toUpperCase()} ${template}`;
}

/**
 * A fetch that checks every response against openapi.json (for clients under test); the response
 * itself is handed on unread.
 */
export function fetchCheckedAgainstApi(base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const copy = response.clone();
    assertMatchesApi(routeKeyOf(init?.method ?? 'GET', url.pathname), {
      statusCode: copy.status,
      headers: Object.fromEntries(copy.headers.entries()),
      body: await copy.text(),
    });
    return response;
  };
}
