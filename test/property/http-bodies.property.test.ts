import {
  ClientException,
  RegisterJobDefinitionCommand,
  type RegisterJobDefinitionCommandInput,
  SubmitJobCommand,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import fc from 'fast-check';
import type { HttpEvent, HttpResult } from '../../lib/http';
import { callerTagValue } from '../../lib/jobs/names';
import { logger } from '../../lib/logger';
import { parseImageReference } from '../../lib/registry/reference';
import { loadFixture } from '../helpers/fixtures';
import { JOB_ID, QUEUE } from '../helpers/handler-harness';
import { submitJobHarness } from '../helpers/submit-job-harness';
import {
  anyReferencePartsArb,
  charsFrom,
  domainPiece,
  lookAlikeReferenceArb,
  mutate,
  mutatedReferenceArb,
  mutationArb,
  referencePartsArb,
  referenceText,
  unicodeStringArb,
} from './arbitraries';

const PASSWORD = 'pw-Property-9d41e7c2';
const HUB_PASSWORD = 'dckr_pat_Property-5a0b3f';
const MAX_BODY_BYTES = 64 * 1024;

// The registry secret holds both passwords; the Batch stand-in below replaces the harness's
// RegisterJobDefinition and SubmitJob answers.
const { batchMock, handle } = submitJobHarness({
  env: {
    ALLOWED_REGISTRIES: 'public.ecr.aws',
    IMAGE_CACHE_SECONDS: '30',
    SECRET_CACHE_SECONDS: '300',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/brg-test-execution',
  },
  registries: [
    { registry_url: 'https://registry.example.com', username: 'bot', password: PASSWORD },
    { registry_url: 'https://index.docker.io/v1/', username: 'hub-bot', password: HUB_PASSWORD },
  ],
});
const baseEvent = loadFixture<HttpEvent>('http/post-jobs.json');

// ---------------------------------------------------------------------------------------------
// A Batch stand-in that refuses what AWS Batch documents as invalid, so that a request the
// gateway should have refused with a 400 shows up as a 502 here instead of passing silently.
// ---------------------------------------------------------------------------------------------

const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** "Maximum job payload size (for SubmitJob API operations): 30 KiB" (AWS Batch service quotas). */
const SUBMIT_JOB_PAYLOAD_QUOTA = 30 * 1024;
/** The payload quota has a property of its own; the others leave it off so that each finding stands alone. */
let enforcePayloadQuota = false;

function refuse(message: string): never {
  throw new ClientException({ message, $metadata: { httpStatusCode: 400 } });
}

/** Tag limits (AWS Batch user guide, "Tag restrictions"): 50 tags, keys 1-128 and values ≤ 256 Unicode characters. */
function checkTags(tags: Record<string, string> | undefined): void {
  const entries = Object.entries(tags ?? {});
  if (entries.length > 50) refuse('Too many tags');
  for (const [key, value] of entries) {
    if (/\p{Cs}/u.test(key) || /\p{Cs}/u.test(value)) refuse('Tags must be valid UTF-8');
    if ([...key].length < 1 || [...key].length > 128) refuse('Tag key length must be 1-128');
    if ([...value].length > 256) refuse('Tag value length must be at most 256');
  }
}

function checkRegisterJobDefinition(input: RegisterJobDefinitionCommandInput): void {
  if (!BATCH_NAME.test(input.jobDefinitionName ?? '')) refuse('Invalid job definition name');
  if ((input.containerProperties?.image ?? '').length > 255) refuse('Image exceeds 255 characters');
  checkTags(input.tags);
}

/** SubmitJob rules from the API reference: job name, timeout ≥ 60, 1-10 attempts, AWS_BATCH* reserved. */
function checkSubmitJob(input: SubmitJobCommandInput): void {
  if (enforcePayloadQuota && Buffer.byteLength(JSON.stringify(input)) > SUBMIT_JOB_PAYLOAD_QUOTA) {
    refuse('Job payload exceeds 30 KiB');
  }
  if (!BATCH_NAME.test(input.jobName ?? '')) refuse('Invalid job name');
  const timeout = input.timeout?.attemptDurationSeconds;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 60)) refuse('Invalid timeout');
  const attempts = input.retryStrategy?.attempts;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 10)) {
    refuse('Invalid retry attempts');
  }
  for (const variable of input.containerOverrides?.environment ?? []) {
    if ((variable.name ?? '').startsWith('AWS_BATCH'))
      refuse('Environment variable names cannot start with AWS_BATCH');
  }
  for (const requirement of input.containerOverrides?.resourceRequirements ?? []) {
    const amount = Number(requirement.value);
    if (!(Number.isFinite(amount) && amount > 0)) refuse(`Invalid ${requirement.type} value`);
    if (requirement.type !== 'VCPU' && !Number.isInteger(amount))
      refuse(`${requirement.type} must be an integer`);
  }
  checkTags(input.tags);
}

beforeAll(() => {
  // Thousands of requests: the log lines are not under test here.
  logger.setLogLevel('SILENT');
});

beforeEach(() => {
  enforcePayloadQuota = false;
  batchMock.on(RegisterJobDefinitionCommand).callsFake((input: RegisterJobDefinitionCommandInput) => {
    checkRegisterJobDefinition(input);
    return {
      jobDefinitionName: input.jobDefinitionName,
      jobDefinitionArn: `arn:aws:batch:us-east-1:123456789012:job-definition/${input.jobDefinitionName}:1`,
      revision: 1,
    };
  });
  batchMock.on(SubmitJobCommand).callsFake((input: SubmitJobCommandInput) => {
    checkSubmitJob(input);
    return {
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
      jobName: input.jobName,
      jobId: JOB_ID,
    };
  });
});

// ---------------------------------------------------------------------------------------------
// Field values: valid ones, and hostile ones per field.
// ---------------------------------------------------------------------------------------------

const wrongTypeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, '', [], {}, [null], { '': '' }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Registries the gateway knows (secret or ALLOWED_REGISTRIES), Docker Hub by default, and two it does not. */
const imageDomainArb = fc.constantFrom(
  undefined,
  domainPiece('quay.io', undefined),
  domainPiece('localhost', '5000'),
  domainPiece('registry.example.com', undefined),
  domainPiece('Registry.Example.COM', undefined),
  domainPiece('public.ecr.aws', undefined),
  domainPiece('index.docker.io', undefined),
  domainPiece('docker.io', undefined),
);

const validImageArb = referencePartsArb(imageDomainArb).map(referenceText);

const hostileImageArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: anyReferencePartsArb.map(referenceText) },
  { weight: 3, arbitrary: mutatedReferenceArb },
  { weight: 1, arbitrary: lookAlikeReferenceArb },
  { weight: 1, arbitrary: unicodeStringArb },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 5_000 }).map((length) => `a/${'b'.repeat(length)}`) },
  { weight: 1, arbitrary: wrongTypeArb },
);

const validEnvironmentNameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
const hostileEnvironmentNameArb = fc.oneof(
  fc.constantFrom(
    'AWS_BATCH_JOB_ID',
    'AWS_BATCHX',
    '__proto__',
    'constructor',
    'toString',
    '1A',
    'A-B',
    '',
    'É',
  ),
  unicodeStringArb,
);

/** AWS tag characters: letters, numbers, spaces and + - = . _ : / @ (letters from any script). */
const tagTextArb = fc.string({
  unit: fc.oneof(charsFrom('abcXYZ019 +-=._:/@', 1, 1), fc.constantFrom('é', 'ß', 'Ж', '中', '\u3000', '𝐀')),
  maxLength: 20,
});
const validTagsArb = fc.dictionary(
  tagTextArb.filter((key) => key.length > 0 && !/^(aws:|batch-registry-gateway:)/i.test(key)),
  tagTextArb,
  { maxKeys: 5 },
);

const hostileNumberArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.25, 0.5, 3, 4, 59, 60, 10, 11, 1e308, 2 ** 53 + 2, 1e-300, -1e308),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('2', '4096', '1e3', ''),
  wrongTypeArb,
);

interface FieldArbs {
  readonly valid: fc.Arbitrary<unknown>;
  readonly hostile: fc.Arbitrary<unknown>;
}

const FIELDS: Readonly<Record<string, FieldArbs>> = {
  image: { valid: validImageArb, hostile: hostileImageArb },
  command: {
    valid: fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 5 }),
    hostile: fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
      fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 4 }),
      fc.string(),
      wrongTypeArb,
    ),
  },
  environment: {
    valid: fc.dictionary(validEnvironmentNameArb, fc.string({ unit: 'grapheme', maxLength: 30 }), {
      maxKeys: 4,
    }),
    hostile: fc.oneof(
      fc.dictionary(hostileEnvironmentNameArb, fc.string({ maxLength: 10 }), { minKeys: 1, maxKeys: 3 }),
      fc.dictionary(validEnvironmentNameArb, wrongTypeArb, { minKeys: 1, maxKeys: 3 }),
      wrongTypeArb,
    ),
  },
  vcpus: { valid: fc.constantFrom(0.25, 0.5, 1, 2, 4, 96), hostile: hostileNumberArb },
  memory: { valid: fc.integer({ min: 4, max: 1_000_000 }), hostile: hostileNumberArb },
  gpus: { valid: fc.integer({ min: 0, max: 8 }), hostile: hostileNumberArb },
  name: {
    valid: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
    hostile: fc.oneof(
      fc.constantFrom('', '-job', '_job', 'job.1', 'a'.repeat(129), 'jöb', 'job name'),
      unicodeStringArb,
      wrongTypeArb,
    ),
  },
  timeoutSeconds: { valid: fc.integer({ min: 60, max: 1_209_600 }), hostile: hostileNumberArb },
  retryAttempts: { valid: fc.integer({ min: 1, max: 10 }), hostile: hostileNumberArb },
  tags: {
    valid: validTagsArb,
    hostile: fc.oneof(
      fc.dictionary(unicodeStringArb, unicodeStringArb, { minKeys: 1, maxKeys: 3 }),
      fc.dictionary(
        fc.constantFrom('aws:x', 'AWS:team', 'batch-registry-gateway:submitted-by', '__proto__'),
        tagTextArb,
        {
          minKeys: 1,
        },
      ),
      fc
        .integer({ min: 45, max: 55 })
        .map((count) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']))),
      fc.constantFrom({ team: 'v'.repeat(257) }, { ['k'.repeat(129)]: 'v' }, { team: 'a,b' }),
      wrongTypeArb,
    ),
  },
};
const FIELD_NAMES = Object.keys(FIELDS);

function fieldArbs(name: string): FieldArbs {
  const arbs = FIELDS[name];
  if (!arbs) throw new Error(`no arbitraries for ${name}`);
  return arbs;
}

/** A valid body with at most one field made hostile, now and then with unknown keys. */
const mostlyValidBodyArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(Object.fromEntries(FIELD_NAMES.map((name) => [name, fieldArbs(name).valid])), {
      requiredKeys: ['image'],
    }),
    // One time in two (fast-check's `freq: 2`), one field gets a hostile value.
    fc.option(
      fc
        .constantFrom(...FIELD_NAMES)
        .chain((name) => fieldArbs(name).hostile.map((value) => [name, value] as const)),
      { freq: 2 },
    ),
    fc.oneof(
      { weight: 7, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), {
          minKeys: 1,
          maxKeys: 2,
        }),
      },
    ),
  )
  .map(([body, hostile, unknown]) => ({
    ...unknown,
    ...body,
    ...(hostile ? { [hostile[0]]: hostile[1] } : {}),
  }));

/** Every field from its valid or its hostile values, independently. */
const chaoticBodyArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  Object.fromEntries(
    FIELD_NAMES.map((name) => [name, fc.oneof(fieldArbs(name).valid, fieldArbs(name).hostile)]),
  ),
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------------------------
// Raw bodies: JSON text written by hand (duplicate keys, odd numbers), invalid, deep, oversize.
// ---------------------------------------------------------------------------------------------

/** Number tokens JSON.stringify never writes: overflow to Infinity, underflow, -0, exponents, big integers. */
const ODD_NUMBER_TOKENS = [
  '1e999',
  '-1e999',
  '-0',
  '4.0',
  '6E1',
  '1e-400',
  '60.0000000000000001',
  '9007199254740993',
  '0.25e0',
];

const valueTextArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(...FIELD_NAMES)
      .chain((name) => fc.oneof(fieldArbs(name).valid, fieldArbs(name).hostile))
      .map((value) => JSON.stringify(value) ?? 'null'),
  },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_NUMBER_TOKENS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"\\ud800"',
      '"\\udfff\\ud800"',
      '"\\u0000"',
      '"a\\u2028b"',
      '{"__proto__":{"image":"alpine"}}',
    ),
  },
);

/** `{"key": value, ...}` written by hand, so that keys can repeat (JSON.parse keeps the last). */
const duplicateKeysTextArb: fc.Arbitrary<string> = fc
  .tuple(
    mostlyValidBodyArb,
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...FIELD_NAMES, '__proto__', 'constructor'), fc.string({ maxLength: 6 })),
        valueTextArb,
      ),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    fc.nat(),
  )
  .map(([body, extra, seed]) => {
    const entries = [
      ...Object.entries(body).map(([key, value]) => [key, JSON.stringify(value)] as const),
      ...extra,
    ];
    const rotated = [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)];
    return `{${rotated.map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`;
  });

const invalidJsonTextArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(mostlyValidBodyArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([body, mutations]) => mutations.reduce(mutate, JSON.stringify(body))),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"image":',
    "{'image':'alpine'}",
    '{"image":"alpine",}',
    'NaN',
    'undefined',
    '\ufeff{"image":"alpine"}',
    '{"image":"alpine"}\u0000',
  ),
  unicodeStringArb,
  fc.json({ maxDepth: 3 }),
);

const deepTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 30_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc
    .integer({ min: 1, max: 10_000 })
    .map((depth) => `{"image":"alpine","command":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc
    .tuple(fc.constantFrom('tags', 'environment', 'image', 'nested'), fc.integer({ min: 1, max: 10_000 }))
    .map(([field, depth]) => `{"image":"alpine","${field}":${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}}`),
);

/** Bodies around the 64 KiB limit, in one-byte and multi-byte characters. */
const aroundLimitTextArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', 'é', '中', '😀'), fc.integer({ min: -64, max: 64 }), fc.boolean())
  .map(([character, delta, huge]) => {
    const overhead = '{"image":"alpine","command":[""]}'.length;
    const bytes = Buffer.byteLength(character);
    const count = huge ? 200_000 : Math.max(0, Math.floor((MAX_BODY_BYTES - overhead + delta) / bytes));
    return `{"image":"alpine","command":["${character.repeat(count)}"]}`;
  });

const bodyTextArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: mostlyValidBodyArb.map((body) => JSON.stringify(body)) },
  { weight: 3, arbitrary: chaoticBodyArb.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: mostlyValidBodyArb.map((body) => JSON.stringify(body, null, '\t')) },
  { weight: 3, arbitrary: duplicateKeysTextArb },
  { weight: 3, arbitrary: invalidJsonTextArb },
  { weight: 1, arbitrary: deepTextArb },
  { weight: 1, arbitrary: aroundLimitTextArb },
);

// ---------------------------------------------------------------------------------------------
// The request: body encoding, headers and caller.
// ---------------------------------------------------------------------------------------------

interface Request {
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  readonly headers: HttpEvent['headers'];
  readonly userArn: string | null | undefined;
}

const contentTypeArb = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16le',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/octet-stream',
    '*/*',
    '',
  ),
  unicodeStringArb,
);

const headersArb: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      'content-type': contentTypeArb,
      'Content-Type': contentTypeArb,
      'content-length': fc.oneof(fc.nat().map(String), fc.constantFrom('-1', 'abc', '99999999999999999999')),
      'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
      'x-amz-date': fc.string({ maxLength: 20 }),
      'x-odd': fc.oneof(
        unicodeStringArb,
        fc.integer({ min: 1, max: 10_000 }).map((length) => 'h'.repeat(length)),
      ),
    },
    { requiredKeys: [] },
  )
  .map((headers) => ({ ...baseEvent.headers, ...headers }));

/** IAM names: `[\w+=,.@-]`, role and session names up to 64 characters (IAM and STS API references). */
const iamNameArb = (min: number) =>
  charsFrom('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-', min, 64);

/** The caller as API Gateway's IAM authorizer reports it: an assumed role's session or an IAM user. */
const iamCallerArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(iamNameArb(1), iamNameArb(2))
    .map(([role, session]) => `arn:aws:sts::123456789012:assumed-role/${role}/${session}`),
  fc
    .tuple(fc.constantFrom('/', '/division_abc/', '/a/b/c/'), iamNameArb(1))
    .map(([path, user]) => `arn:aws:iam::123456789012:user${path}${user}`),
);

const requestArb: fc.Arbitrary<Request> = fc
  .tuple(
    fc.oneof({ weight: 20, arbitrary: bodyTextArb }, { weight: 1, arbitrary: fc.constant(undefined) }),
    fc.constantFrom('text', 'text', 'text', 'base64', 'base64', 'garbage-base64'),
    headersArb,
    fc.oneof(
      { weight: 6, arbitrary: iamCallerArb },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null, '') },
    ),
  )
  .map(([text, encoding, headers, userArn]) => ({
    body:
      text === undefined || encoding === 'text'
        ? text
        : encoding === 'base64'
          ? Buffer.from(text).toString('base64')
          : text,
    isBase64Encoded: text !== undefined && encoding !== 'text',
    headers,
    userArn,
  }));

function toEvent(request: Request): HttpEvent {
  const event = structuredClone(baseEvent);
  event.headers = request.headers;
  event.isBase64Encoded = request.isBase64Encoded;
  if (request.body === undefined) delete event.body;
  else event.body = request.body;
  const iam = event.requestContext.authorizer.iam;
  if (request.userArn === undefined) Reflect.deleteProperty(event.requestContext, 'authorizer');
  else Reflect.set(iam, 'userArn', request.userArn);
  return event;
}

function bodyBytes(request: Request): number {
  const raw = request.body ?? '';
  return request.isBase64Encoded ? Buffer.from(raw, 'base64').byteLength : Buffer.byteLength(raw, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// The answer.
// ---------------------------------------------------------------------------------------------

function expectAnswer(result: HttpResult, request: Request): void {
  expect([202, 400, 403, 413, 422]).toContain(result.statusCode);
  expect(result.body).toEqual(expect.any(String));
  const text = result.body ?? '';
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(HUB_PASSWORD);
  const body: unknown = JSON.parse(text);
  if (bodyBytes(request) > MAX_BODY_BYTES) expect(result.statusCode).toBe(413);
  else expect(result.statusCode).not.toBe(413);

  if (result.statusCode === 202) {
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(body).toEqual({
      jobId: JOB_ID,
      jobName: expect.stringMatching(BATCH_NAME),
      jobQueue: QUEUE,
      jobDefinition: expect.stringMatching(/^arn:aws:batch:/),
      image: expect.any(String),
    });
    const image = (body as { image: string }).image;
    expect(parseImageReference(image).normalised).toBe(image);
    return;
  }
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  expect(body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status: result.statusCode,
    detail: expect.any(String),
    ...(typeof body === 'object' && body !== null && 'errors' in body
      ? { errors: expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]) }
      : {}),
  });
  const errors = (body as { errors?: unknown }).errors;
  if (errors !== undefined) {
    expect(Array.isArray(errors) && errors.length > 0).toBe(true);
    for (const error of errors as unknown[]) {
      expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
  }
}

describe('POST /jobs handler (properties)', () => {
  it('answers only 202 or a problem+json 4xx to hostile bodies and headers, with AWS and the registry succeeding', async () => {
    const statuses = new Map<number, number>();

    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        const result = await handle(toEvent(request));
        // Let any rejection the request left behind surface inside this run: jest-circus fails the
        // test on an unhandled rejection (a `process` listener inside jest's sandbox never fires).
        await new Promise((resolve) => setImmediate(resolve));

        expectAnswer(result, request);
        const status = result.statusCode ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: 5_000 },
    );

    // The generators reach every answer the mocks allow (422 needs a missing manifest).
    expect([...statuses.keys()].sort()).toEqual([202, 400, 403, 413]);
  }, 120_000);
});

describe('POST /jobs handler and the SubmitJob payload quota (properties)', () => {
  it('answers a 4xx, not a 5xx, when a body within 64 KiB would make a SubmitJob payload over 30 KiB', async () => {
    enforcePayloadQuota = true;
    const largeBodyArb = fc
      .tuple(
        fc.integer({ min: 16 * 1024, max: 63 * 1024 }),
        fc.constantFrom('command', 'environment', 'both'),
      )
      .map(([size, field]) => {
        const text = 'x'.repeat(field === 'both' ? Math.floor(size / 2) : size);
        return JSON.stringify({
          image: 'registry.example.com/team/app:1',
          ...(field !== 'environment' ? { command: ['run', text] } : {}),
          ...(field !== 'command' ? { environment: { PAYLOAD: text } } : {}),
        });
      });

    await fc.assert(
      fc.asyncProperty(largeBodyArb, async (body) => {
        const request: Request = {
          body,
          isBase64Encoded: false,
          headers: baseEvent.headers,
          userArn: 'arn:aws:sts::123456789012:assumed-role/job-submitter/run',
        };

        const result = await handle(toEvent(request));

        expectAnswer(result, request);
      }),
      { numRuns: 200 },
    );
  });
});

describe('callerTagValue (properties)', () => {
  it('gives a tag value of AWS tag characters, at most 256 of them, for any caller identity', () => {
    const identityArb = fc.oneof(
      iamCallerArb,
      unicodeStringArb,
      fc.string({ unit: 'grapheme', minLength: 200, maxLength: 400 }),
      fc.string({ unit: 'binary', minLength: 250, maxLength: 300 }),
    );

    fc.assert(
      fc.property(identityArb, (userArn) => {
        const value = callerTagValue(userArn);

        // With the u flag a lone surrogate is a code point of its own, outside every class here.
        expect(value).toMatch(/^[\p{L}\p{Z}\p{N}+\-=._:/@]+$/u);
        expect([...value].length).toBeLessThanOrEqual(256);
      }),
      // The smallest failing identity: 255 letters and one astral letter, cut in half at 256 UTF-16 units;
      // reported as is (shrinking long unicode strings takes many seconds).
      { numRuns: 1_000, examples: [[`${'a'.repeat(255)}\u{10000}`]], endOnFailure: true },
    );
  });
});
