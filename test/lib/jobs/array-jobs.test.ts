import type { JobDetail } from '@aws-sdk/client-batch';
import { arrayView, idsToDescribe, parseJobId } from '../../../lib/jobs/array-jobs';

const PARENT = '0a1b2c3d-1111-4222-8333-444455556666';

describe('parseJobId', () => {
  it.each([
    [PARENT, { jobId: PARENT }],
    [PARENT.toUpperCase(), { jobId: PARENT.toUpperCase() }],
    [`${PARENT}:0`, { jobId: `${PARENT}:0`, parentId: PARENT }],
    [`${PARENT}:9999`, { jobId: `${PARENT}:9999`, parentId: PARENT }],
  ])('parses %s', (input, expected) => {
    expect(parseJobId(input)).toEqual(expected);
  });

  it.each([
    undefined,
    '',
    'job-1',
    `${PARENT}:`,
    `${PARENT}:10000`,
    `${PARENT}:-1`,
    `${PARENT}:1:2`,
    ` ${PARENT}`,
  ])('refuses %p', (input) => {
    expect(parseJobId(input)).toBeUndefined();
  });
});

describe('idsToDescribe', () => {
  it('adds each child’s parent once, in one list', () => {
    const ids = idsToDescribe([
      { jobId: `${PARENT}:1`, parentId: PARENT },
      { jobId: `${PARENT}:2`, parentId: PARENT },
      { jobId: PARENT },
    ]);

    expect(ids).toEqual([`${PARENT}:1`, PARENT, `${PARENT}:2`]);
  });
});

describe('arrayView', () => {
  it('reports size and status summary of an array parent', () => {
    const job: JobDetail = {
      jobId: PARENT,
      jobName: 'fan-out',
      jobQueue: 'q',
      status: 'PENDING',
      startedAt: undefined,
      jobDefinition: 'jd',
      arrayProperties: { size: 3, statusSummary: { RUNNABLE: 2, SUCCEEDED: 1 } },
    } as JobDetail;

    expect(arrayView(job)).toEqual({ size: 3, statusSummary: { RUNNABLE: 2, SUCCEEDED: 1 } });
  });

  it('reports nothing for a child (its arrayProperties hold only an index)', () => {
    expect(arrayView({ arrayProperties: { index: 1 } } as JobDetail)).toBeUndefined();
    expect(arrayView({} as JobDetail)).toBeUndefined();
  });
});
