import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { planComputeEnvironment, versionsInUse } from '../../../lib/rollout/compute-environments';
import { ACCOUNT, computeEnvironment, LT_ID, LT_NAME } from './fakes';

const target = { launchTemplateId: LT_ID, launchTemplateName: LT_NAME, versionNumber: 8 };
const policy = { terminateJobsOnUpdate: true, jobExecutionTimeoutMinutes: 45 };

function withResources(
  detail: ComputeEnvironmentDetail,
  change: Partial<NonNullable<ComputeEnvironmentDetail['computeResources']>>,
): ComputeEnvironmentDetail {
  return {
    ...detail,
    computeResources: { ...detail.computeResources, ...change } as typeof detail.computeResources,
  };
}

describe('planComputeEnvironment', () => {
  it('builds an update with the explicit version, the overrides as they are and the update policy', () => {
    const overrides = [
      { launchTemplateName: 'gpu-template', version: '$Latest', targetInstanceTypes: ['p4d'] },
    ];
    const detail = computeEnvironment('ce-a', { version: '7', overrides });

    const action = planComputeEnvironment(detail, target, policy);

    expect(action).toEqual({
      kind: 'update',
      request: {
        computeEnvironment: `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/ce-a`,
        computeResources: { launchTemplate: { launchTemplateId: LT_ID, version: '8', overrides } },
        updatePolicy: { terminateJobsOnUpdate: true, jobExecutionTimeoutMinutes: 45 },
      },
    });
  });

  it('moves overrides that use this launch template to the new version too, by id or by name', () => {
    const overrides = [
      { launchTemplateId: LT_ID, version: '7', targetInstanceTypes: ['g5.xlarge'] },
      { launchTemplateName: LT_NAME, version: '$Default', targetInstanceTypes: ['p4d.24xlarge'] },
      { launchTemplateName: 'gpu-template', version: '3', targetInstanceTypes: ['p5.48xlarge'] },
    ];
    const detail = computeEnvironment('ce-a', { version: '7', overrides });

    const action = planComputeEnvironment(detail, target, policy);

    expect(action.kind === 'update' && action.request.computeResources?.launchTemplate?.overrides).toEqual([
      { launchTemplateId: LT_ID, version: '8', targetInstanceTypes: ['g5.xlarge'] },
      { launchTemplateName: LT_NAME, version: '8', targetInstanceTypes: ['p4d.24xlarge'] },
      { launchTemplateName: 'gpu-template', version: '3', targetInstanceTypes: ['p5.48xlarge'] },
    ]);
  });

  it('keeps the launch template name when the environment names it instead of its id', () => {
    const detail = withResources(computeEnvironment('ce-a'), {
      launchTemplate: { launchTemplateName: LT_NAME, version: '$Default' },
    });

    const action = planComputeEnvironment(detail, target, policy);

    expect(action.kind === 'update' && action.request.computeResources?.launchTemplate).toEqual({
      launchTemplateName: LT_NAME,
      version: '8',
    });
  });

  it.each<[string, ComputeEnvironmentDetail, string, RegExp]>([
    [
      'already on the version',
      computeEnvironment('ce', { version: '8' }),
      'skip',
      /already uses launch template version 8/,
    ],
    ['UPDATING', computeEnvironment('ce', { status: 'UPDATING' }), 'wait', /UPDATING/],
    ['CREATING', computeEnvironment('ce', { status: 'CREATING' }), 'wait', /CREATING/],
    ['DELETING', computeEnvironment('ce', { status: 'DELETING' }), 'fail', /DELETING/],
    [
      'BEST_FIT',
      computeEnvironment('ce', { allocationStrategy: 'BEST_FIT' }),
      'refuse',
      /allocation strategy is BEST_FIT/,
    ],
    [
      'BEST_FIT by default',
      withResources(computeEnvironment('ce'), { allocationStrategy: undefined }),
      'refuse',
      /allocation strategy is BEST_FIT/,
    ],
    [
      'a custom service role',
      computeEnvironment('ce', {
        serviceRole: `arn:aws:iam::${ACCOUNT}:role/service-role/AWSBatchServiceRole`,
      }),
      'refuse',
      /service role .*AWSBatchServiceRole; infrastructure updates need the AWSServiceRoleForBatch service-linked role/,
    ],
    [
      'unmanaged',
      { ...computeEnvironment('ce'), type: 'UNMANAGED' },
      'refuse',
      /not a managed compute environment/,
    ],
    [
      'Fargate (SPEC §11)',
      withResources(computeEnvironment('ce'), { type: 'FARGATE', launchTemplate: undefined }),
      'not-applicable',
      /Fargate compute environment: no instances; jobs get registry credentials per task/,
    ],
    [
      'Fargate Spot',
      withResources(computeEnvironment('ce'), { type: 'FARGATE_SPOT', launchTemplate: undefined }),
      'not-applicable',
      /Fargate/,
    ],
    ['EKS', { ...computeEnvironment('ce'), containerOrchestrationType: 'EKS' }, 'refuse', /EKS/],
    [
      'another launch template',
      computeEnvironment('ce', { launchTemplateId: 'lt-0fedcba9876543210' }),
      'refuse',
      /uses launch template lt-0fedcba9876543210/,
    ],
    [
      'no launch template',
      withResources(computeEnvironment('ce'), { launchTemplate: undefined }),
      'refuse',
      /no launch template/,
    ],
  ])('decides %s', (_case, detail, kind, reason) => {
    const action = planComputeEnvironment(detail, target, policy);

    expect(action.kind).toBe(kind);
    expect('reason' in action ? action.reason : '').toMatch(reason);
  });

  it.each(['BEST_FIT_PROGRESSIVE', 'SPOT_CAPACITY_OPTIMIZED', 'SPOT_PRICE_CAPACITY_OPTIMIZED'])(
    'updates an environment with %s',
    (allocationStrategy) => {
      const action = planComputeEnvironment(computeEnvironment('ce', { allocationStrategy }), target, policy);

      expect(action.kind).toBe('update');
    },
  );
});

describe('versionsInUse', () => {
  it('collects the versions of this launch template in main specifications and overrides only', () => {
    const details = [
      computeEnvironment('a', { version: '3' }),
      computeEnvironment('b', {
        launchTemplateId: 'lt-0fedcba9876543210',
        version: '9',
        overrides: [{ launchTemplateId: LT_ID, version: '5' }],
      }),
      withResources(computeEnvironment('c'), {
        launchTemplate: { launchTemplateName: LT_NAME, version: '$Latest' },
      }),
    ];

    expect([...versionsInUse(details, target)].sort()).toEqual(['$Latest', '3', '5']);
  });
});
