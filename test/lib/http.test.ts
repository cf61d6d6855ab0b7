import type { Context } from 'aws-lambda';
import { HttpError } from '../../lib/errors';
import { type HttpEvent, httpHandler, json, MAX_BODY_BYTES, readJsonBody } from '../../lib/http';
import { loadFixture } from '../helpers/fixtures';

const context = { awsRequestId: 'req-42' } as Context;

function event(): HttpEvent {
  return loadFixture<HttpEvent>('http/get-registries.json');
}

function bodyOf(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}

describe('readJsonBody', () => {
  it('parses a JSON body, plain or base64-encoded', () => {
    const text = '{"image":"alpine"}';

    expect(readJsonBody({ body: text, isBase64Encoded: false })).toEqual({ image: 'alpine' });
    expect(readJsonBody({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true })).toEqual({
      image: 'alpine',
    });
  });

  it.each([
    ['missing', undefined, 400, 'The request body is empty; send a JSON object.'],
    ['blank', '  \n', 400, 'The request body is empty; send a JSON object.'],
    ['not JSON', '{"image":', 400, 'The request body is not valid JSON.'],
  ])('refuses a %s body with a 400 that says why', (_case, body, status, message) => {
    const read = () => readJsonBody({ body, isBase64Encoded: false });

    expect(read).toThrow(HttpError);
    expect(read).toThrow(message);
    expect(() => read()).toThrow(expect.objectContaining({ statusCode: status }));
  });

  it('refuses a body over 64 KiB by its byte length, not its character count', () => {
    const atLimit = JSON.stringify({ x: 'é'.repeat((MAX_BODY_BYTES - 8) / 2) });
    const overLimit = JSON.stringify({ x: 'é'.repeat(MAX_BODY_BYTES / 2) });

    expect(Buffer.byteLength(atLimit)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(() => readJsonBody({ body: atLimit, isBase64Encoded: false })).not.toThrow();
    expect(() => readJsonBody({ body: overLimit, isBase64Encoded: false })).toThrow(
      expect.objectContaining({ statusCode: 413, message: expect.stringContaining('the limit is 65536') }),
    );
  });
});

describe('httpHandler', () => {
  it('passes a successful result through', async () => {
    const handler = httpHandler(async () => json(200, { ok: true }));

    const result = await handler(event(), context);

    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
  });

  it('turns an HttpError below 500 into problem+json with its message, field errors and headers', async () => {
    const handler = httpHandler(async () => {
      throw new HttpError(429, 'Too Many Requests', 'AWS throttled the request; retry after 2 seconds.', {
        errors: [{ path: 'image', message: 'is required' }],
        headers: { 'retry-after': '2' },
      });
    });

    const result = await handler(event(), context);

    expect(result.statusCode).toBe(429);
    expect(result.headers).toEqual({ 'retry-after': '2', 'content-type': 'application/problem+json' });
    expect(bodyOf(result)).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: 'AWS throttled the request; retry after 2 seconds.',
      errors: [{ path: 'image', message: 'is required' }],
    });
  });

  it('answers an unexpected error with a generic 500 that says nothing internal', async () => {
    const handler = httpHandler(async () => {
      throw new Error('connect ECONNREFUSED 10.0.3.7:443 while reading arn:aws:secretsmanager:...');
    });

    const result = await handler(event(), context);

    expect(result.statusCode).toBe(500);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(result)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The request failed; quote request id req-42 to the operator.',
    });
  });
});
