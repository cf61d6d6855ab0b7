import * as z from 'zod/mini';
import { type ApiSchemaName, apiSchemas, type ResponseSpec, type RouteSpec } from './routes';

/** A JSON value of the OpenAPI document. */
export type JsonObject = { [key: string]: unknown };

export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

const PROBLEM_JSON = 'application/problem+json';
const JSON_TYPE = 'application/json';

/**
 * The OpenAPI 3.1 document of `routes` (pure): bodies and parameters converted from their zod
 * schemas by zod's own JSON Schema converter (draft 2020-12, OpenAPI 3.1's dialect), request
 * schemas as input, response schemas as output (closed objects).
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[], info: DocumentInfo): JsonObject {
  const requestBodies = new Set(routes.flatMap((route) => (route.body ? [route.body] : [])));
  const schemas = Object.fromEntries(
    (Object.keys(apiSchemas) as ApiSchemaName[]).map((name) => [
      name,
      jsonSchema(apiSchemas[name], requestBodies.has(name) ? 'input' : 'output'),
    ]),
  );
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    item[route.method] = operation(route);
    paths[route.path] = item;
  }
  return {
    openapi: '3.1.1',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: "The stack's HTTP API (its default endpoint).",
        variables: { apiId: { default: 'abc123' }, region: { default: 'us-east-1' } },
      },
      { url: 'http://127.0.0.1:3000', description: '`npm start` (IAM authorisation is off locally).' },
    ],
    security: [{ sigv4: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 of service `execute-api` (IAM authorisation); callers need execute-api:Invoke on the route.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

function operation(route: RouteSpec): JsonObject {
  const parameters = [
    ...parametersOf(route.pathParameters, 'path'),
    ...parametersOf(route.query, 'query'),
    ...parametersOf(route.headers, 'header'),
  ];
  return {
    operationId: route.functionName,
    summary: route.summary,
    description: route.description,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref(route.body) } } } }
      : {}),
    responses: Object.fromEntries(
      Object.entries(route.responses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, response]) => [status, responseOf(response)]),
    ),
  };
}

function parametersOf(schema: z.ZodMiniObject | undefined, where: 'path' | 'query' | 'header'): JsonObject[] {
  if (!schema) return [];
  const converted = jsonSchema(schema, 'input');
  const properties = (converted.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((converted.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

function responseOf(response: ResponseSpec): JsonObject {
  const content: JsonObject = {};
  if (response.json) content[JSON_TYPE] = { schema: ref(response.json) };
  if (response.problem) content[PROBLEM_JSON] = { schema: ref('Problem') };
  return {
    description: response.description,
    ...(response.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([name, header]) => [
              name,
              { description: header.description, required: header.required ?? false, schema: header.schema },
            ]),
          ),
        }
      : {}),
    content,
  };
}

function ref(name: ApiSchemaName): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
  }) as JsonObject;
  return rest;
}
