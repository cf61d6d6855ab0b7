import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { routes } from '../../../lib/api/routes';
import { parseSubmitJobRequest } from '../../../lib/jobs/schema';
import { parseJobLogsQuery } from '../../../lib/logs/schema';
import { renderOpenApi } from '../../../scripts/openapi/render';
import { assertMatchesApi } from '../../helpers/api-contract';

/** A JSON object of the document, read loosely: the assertions check the shape. */
type Json = { readonly [key: string]: Json };

const root = join(__dirname, '..', '..', '..');
const document = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
const operations = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(
  ([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
);

function bodyValidator() {
  const ajv = new Ajv2020({ strict: true });
  addFormats(ajv);
  return ajv.compile(document.components.schemas.SubmitJobRequest);
}

function accepts(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

describe('openapi.json', () => {
  it('is what `npm run openapi` generates now (it and the client types are not stale)', () => {
    for (const file of renderOpenApi(root)) {
      const committed = readFileSync(join(root, file.path), 'utf8');

      expect({ file: file.path, upToDate: committed === file.text }).toEqual({
        file: file.path,
        upToDate: true,
      });
    }
  });

  it('is a valid OpenAPI 3.1 document for @seriousme/openapi-schema-validator', () => {
    const cli = join(
      root,
      'node_modules',
      '@seriousme',
      'openapi-schema-validator',
      'bin',
      'validate-api-cli.js',
    );

    const result = spawnSync(process.execPath, [cli, join(root, 'openapi.json')], { encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ valid: true });
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it('describes every route of the table once, by its function name, signed with SigV4', () => {
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      routes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort(),
    );
    expect(operations.map(({ operation }) => operation.operationId).sort()).toEqual(
      ['cancelJob', 'getJob', 'getJobLogs', 'listRegistries', 'submitJob'].sort(),
    );
    expect(document.security).toEqual([{ sigv4: [] }]);
    expect(document.components.securitySchemes.sigv4).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
  });

  it('documents Retry-After on every 409, 429, 503 and 504, and the idempotency headers of POST /jobs', () => {
    for (const { operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (
          ['409', '429', '503', '504'].includes(status) &&
          !(String(operation.operationId) === 'cancelJob' && status === '409')
        ) {
          expect({ status, headers: Object.keys(response.headers ?? {}) }).toEqual({
            status,
            headers: ['Retry-After'],
          });
        }
      }
      expect(Object.keys(operation.responses ?? {})).toEqual(
        expect.arrayContaining(['403', '429', '500', '502']),
      );
    }
    const submit = document.paths['/jobs'].post;
    expect(submit.parameters).toEqual([
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]);
    expect(submit.responses['202'].headers['idempotent-replayed'].schema).toEqual({
      type: 'string',
      enum: ['true'],
    });
    expect(Object.keys(submit.responses['403'].content).sort()).toEqual([
      'application/json',
      'application/problem+json',
    ]);
  });

  it('gives the logs route its limit (1–1000, default 100) and nextToken from the handler schema', () => {
    const parameters = document.paths['/jobs/{jobId}/logs'].get.parameters;

    expect(parameters).toEqual([
      { name: 'jobId', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
      }),
      expect.objectContaining({ name: 'nextToken', in: 'query', required: false }),
    ]);
    expect(parseJobLogsQuery(undefined).limit).toBe(100);
  });

  it.each([
    ['a minimal body', { image: 'alpine' }],
    [
      'every field',
      {
        image: 'ghcr.io/a/b:1',
        command: ['x'],
        environment: { A_1: 'v' },
        vcpus: 2,
        memory: 512,
        gpus: 0,
        name: 'n-1',
        timeoutSeconds: 60,
        retryAttempts: 3,
        tags: { team: 'data' },
      },
    ],
    ['an unknown field', { image: 'alpine', imagePullPolicy: 'always' }],
    ['no image', { command: ['x'] }],
    ['a fractional memory', { image: 'alpine', memory: 1.5 }],
    ['a bad environment name', { image: 'alpine', environment: { '1A': 'v' } }],
    ['too many retries', { image: 'alpine', retryAttempts: 11 }],
  ])('accepts or refuses %s exactly as the handler schema does', (_case, body) => {
    const validate = bodyValidator();

    expect(validate(body)).toBe(accepts(() => parseSubmitJobRequest(body)));
  });

  it('lets the response check catch an undocumented status, a drifted body and a missing Retry-After', () => {
    const job = { jobId: 'j', jobName: 'n', status: 'RUNNING', image: 'alpine' };
    const ok = {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(job),
    };
    const problem = { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'retry' };

    expect(assertMatchesApi('GET /jobs/{jobId}', ok)).toEqual(job);
    expect(() => assertMatchesApi('GET /jobs/{jobId}', { ...ok, statusCode: 418 })).toThrow(
      'documents no 418',
    );
    expect(() =>
      assertMatchesApi('GET /jobs/{jobId}', { ...ok, body: JSON.stringify({ ...job, extra: 1 }) }),
    ).toThrow('does not match');
    expect(() =>
      assertMatchesApi('GET /jobs/{jobId}', {
        statusCode: 429,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify(problem),
      }),
    ).toThrow('Retry-After');
  });
});
