import fc from 'fast-check';
import { HttpError } from '../../../lib/errors';
import {
  type BatchFeatures,
  batchFeatureInput,
  batchFeatureProblems,
  type QueueTraits,
} from '../../../lib/jobs/batch-features';
import { parseSubmitJobRequest } from '../../../lib/jobs/schema';

const IMAGE = 'ghcr.io/acme/app:1.0';
const PARENT = '0a1b2c3d-1111-4222-8333-444455556666';
const EC2_FIFO: QueueTraits = { platform: 'EC2', fairShare: false };
const EC2_FAIR: QueueTraits = { platform: 'EC2', fairShare: true };
const FARGATE_FIFO: QueueTraits = { platform: 'FARGATE', fairShare: false };

function fieldErrors(body: Record<string, unknown>): Array<{ path: string; message: string }> {
  try {
    parseSubmitJobRequest({ image: IMAGE, ...body });
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400) {
      return [...(error.errors ?? [])];
    }
    throw error;
  }
  return [];
}

describe('batch feature fields of POST /jobs (SPEC §15)', () => {
  it.each([
    [{ arraySize: 2 }],
    [{ arraySize: 10_000 }],
    [{ dependsOn: [{ jobId: PARENT }] }],
    [{ dependsOn: [{ jobId: `${PARENT}:9999` }] }],
    [{ arraySize: 4, dependsOn: [{ type: 'SEQUENTIAL' }] }],
    [{ retryStrategy: { attempts: 10, evaluateOnExit: [{ onExitCode: '*', action: 'retry' }] } }],
    [
      {
        retryStrategy: {
          evaluateOnExit: [{ onStatusReason: 'Host EC2*', onReason: 'CannotPull:x', action: 'EXIT' }],
        },
      },
    ],
    [{ retryStrategy: { evaluateOnExit: [{ onExitCode: '13*', action: 'Exit' }] } }],
    [{ shareIdentifier: 'teamA', schedulingPriority: 9999 }],
    [{ schedulingPriority: 0 }],
    [{ ephemeralStorageGiB: 21 }],
    [{ ephemeralStorageGiB: 200 }],
  ])('accepts %j', (body) => {
    expect(fieldErrors(body)).toEqual([]);
  });

  it.each([
    [{ arraySize: 1 }, 'arraySize', 'at least 2'],
    [{ arraySize: 10_001 }, 'arraySize', 'at most 10000'],
    [{ arraySize: 2.5 }, 'arraySize', 'integer'],
    [{ dependsOn: Array.from({ length: 21 }, () => ({ jobId: PARENT })) }, 'dependsOn', 'at most 20'],
    [{ dependsOn: [{ jobId: 'job-1' }] }, 'dependsOn[0].jobId', 'job id'],
    [{ dependsOn: [{ jobId: `${PARENT}:10000` }] }, 'dependsOn[0].jobId', 'job id'],
    [{ dependsOn: [{ jobId: PARENT, type: 'ONE_TO_ONE' }] }, 'dependsOn[0].type', 'N_TO_N'],
    [{ dependsOn: [{ jobId: PARENT, extra: 1 }] }, 'dependsOn[0].extra', 'not a known field'],
    [{ retryStrategy: { attempts: 0 } }, 'retryStrategy.attempts', 'at least 1'],
    [{ retryStrategy: { attempts: 11 } }, 'retryStrategy.attempts', 'at most 10'],
    [
      { retryStrategy: { evaluateOnExit: Array.from({ length: 6 }, () => ({ action: 'EXIT' })) } },
      'retryStrategy.evaluateOnExit',
      'at most 5',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ onExitCode: '1*2', action: 'EXIT' }] } },
      'retryStrategy.evaluateOnExit[0].onExitCode',
      'digits',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ onExitCode: '-1', action: 'EXIT' }] } },
      'retryStrategy.evaluateOnExit[0].onExitCode',
      'digits',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ onReason: 'out-of-memory', action: 'EXIT' }] } },
      'retryStrategy.evaluateOnExit[0].onReason',
      'letters',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ onStatusReason: 'a'.repeat(513), action: 'EXIT' }] } },
      'retryStrategy.evaluateOnExit[0].onStatusReason',
      '512',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ onStatusReason: 'Host*' }] } },
      'retryStrategy.evaluateOnExit[0].action',
      'expected string',
    ],
    [
      { retryStrategy: { evaluateOnExit: [{ action: 'IGNORE' }] } },
      'retryStrategy.evaluateOnExit[0].action',
      'RETRY',
    ],
    [{ shareIdentifier: 'team-a' }, 'shareIdentifier', 'letters and digits'],
    [{ shareIdentifier: '' }, 'shareIdentifier', 'letters and digits'],
    [{ schedulingPriority: 10_000 }, 'schedulingPriority', 'at most 9999'],
    [{ schedulingPriority: -1 }, 'schedulingPriority', 'at least 0'],
    [{ ephemeralStorageGiB: 20 }, 'ephemeralStorageGiB', 'at least 21'],
    [{ ephemeralStorageGiB: 201 }, 'ephemeralStorageGiB', 'at most 200'],
  ])('refuses %j naming %s', (body, path, text) => {
    const errors = fieldErrors(body);

    expect(errors.map((error) => error.path)).toContain(path);
    expect(errors.find((error) => error.path === path)?.message).toContain(text);
  });
});

describe('batchFeatureProblems', () => {
  it.each<[BatchFeatures, QueueTraits, string]>([
    [{ dependsOn: [{ jobId: PARENT, type: 'N_TO_N' }] }, EC2_FIFO, 'dependsOn[0].type'],
    [{ arraySize: 3, dependsOn: [{ type: 'SEQUENTIAL', jobId: PARENT }] }, EC2_FIFO, 'dependsOn[0].jobId'],
    [{ arraySize: 3, dependsOn: [{ type: 'N_TO_N' }] }, EC2_FIFO, 'dependsOn[0].jobId'],
    [{ dependsOn: [{}] }, EC2_FIFO, 'dependsOn[0].jobId'],
    [{ retryStrategy: { attempts: 2 }, retryAttempts: 2 }, EC2_FIFO, 'retryStrategy'],
    [{ shareIdentifier: 'teamA' }, EC2_FIFO, 'shareIdentifier'],
    [{ schedulingPriority: 5 }, FARGATE_FIFO, 'schedulingPriority'],
    [{}, EC2_FAIR, 'shareIdentifier'],
    [{ ephemeralStorageGiB: 50, shareIdentifier: 'a' }, EC2_FAIR, 'ephemeralStorageGiB'],
  ])('refuses %j on a %j queue naming the field', (request, queue, path) => {
    const problems = batchFeatureProblems(request, queue, undefined);

    expect(problems.map((problem) => problem.path)).toEqual([path]);
  });

  it('says a FIFO queue is not fair-share', () => {
    const [problem] = batchFeatureProblems({ shareIdentifier: 'teamA' }, EC2_FIFO, undefined);

    expect(problem?.message).toMatch(/fair-share queue; this job queue is FIFO/);
  });

  it.each<[BatchFeatures, QueueTraits, string | undefined]>([
    [{ arraySize: 3, dependsOn: [{ type: 'SEQUENTIAL' }] }, EC2_FIFO, undefined],
    [{ arraySize: 3, dependsOn: [{ type: 'N_TO_N', jobId: PARENT }] }, EC2_FIFO, undefined],
    [{ dependsOn: [{ jobId: PARENT }] }, EC2_FIFO, undefined],
    [{ retryStrategy: { attempts: 2 } }, EC2_FIFO, undefined],
    [{}, EC2_FAIR, 'default'],
    [{ schedulingPriority: 3, shareIdentifier: 'teamA' }, EC2_FAIR, undefined],
    [{ ephemeralStorageGiB: 100 }, FARGATE_FIFO, undefined],
  ])('accepts %j on a %j queue', (request, queue, defaultShare) => {
    expect(batchFeatureProblems(request, queue, defaultShare)).toEqual([]);
  });

  it('never accepts a share identifier or priority on a FIFO queue, whatever else is given', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            arraySize: fc.integer({ min: 2, max: 10_000 }),
            shareIdentifier: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
            schedulingPriority: fc.integer({ min: 0, max: 9999 }),
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom(EC2_FIFO, FARGATE_FIFO),
        (request, queue) => {
          const problems = batchFeatureProblems(request, queue, 'dflt').map((problem) => problem.path);
          const given = ['shareIdentifier', 'schedulingPriority'].filter((field) => field in request);

          expect(problems).toEqual(given);
        },
      ),
    );
  });
});

describe('batchFeatureInput', () => {
  it('maps every field to SubmitJob, actions upper-cased', () => {
    const input = batchFeatureInput(
      {
        arraySize: 100,
        dependsOn: [{ jobId: PARENT, type: 'N_TO_N' }],
        retryStrategy: {
          attempts: 3,
          evaluateOnExit: [{ onExitCode: '137', action: 'retry' }, { action: 'Exit' }],
        },
        shareIdentifier: 'teamA',
        schedulingPriority: 7,
      },
      EC2_FAIR,
      undefined,
    );

    expect(input).toEqual({
      arrayProperties: { size: 100 },
      dependsOn: [{ jobId: PARENT, type: 'N_TO_N' }],
      retryStrategy: {
        attempts: 3,
        evaluateOnExit: [{ onExitCode: '137', action: 'RETRY' }, { action: 'EXIT' }],
      },
      shareIdentifier: 'teamA',
      schedulingPriorityOverride: 7,
    });
  });

  it('supplies the default share identifier on a fair-share queue only', () => {
    expect(batchFeatureInput({}, EC2_FAIR, 'default')).toEqual({ shareIdentifier: 'default' });
    expect(batchFeatureInput({}, EC2_FIFO, 'default')).toEqual({});
  });
});
