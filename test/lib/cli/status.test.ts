import 'aws-sdk-client-mock-jest';
import { BatchClient } from '@aws-sdk/client-batch';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { StackRefs } from '../../../lib/cli/context';
import { INSTANCES_NOT_APPLICABLE, status } from '../../../lib/cli/status';
import { INSTANCE_CREDENTIALS_OFF_REASON } from '../../../lib/rollout/no-instances';
import {
  CURRENT,
  credentialSecret,
  ecsMock,
  installCredentialSecrets,
  installUnattributedFleet,
  OLD,
  PREFIX,
  resetFleet,
  SECRET_ARN,
} from '../fleet/fake-fleet';

const ec2Mock = mockClient(EC2Client);
const LAUNCH_TEMPLATE_ID = 'lt-0abcd1234ef567890';
const clients = {
  secretsManager: new SecretsManagerClient({}),
  ec2: new EC2Client({}),
  batch: new BatchClient({}),
  ecs: new ECSClient({}),
};

function refs(overrides: Partial<StackRefs> = {}): StackRefs {
  return {
    name: 'batch-registry-gateway-prod',
    region: 'us-east-1',
    secretArn: SECRET_ARN,
    stagingSecretArn: undefined,
    launchTemplateId: LAUNCH_TEMPLATE_ID,
    computeEnvironments: ['ce-ondemand', 'ce-spot'],
    jobQueue: undefined,
    registrySecretPrefix: PREFIX,
    instanceCredentials: true,
    taskCredentials: true,
    ...overrides,
  };
}
const HARDENED = { instanceCredentials: false };

beforeEach(() => {
  resetFleet();
  ec2Mock.reset();
  // The stack's launch template as created: one version, no description naming a secret version
  // (in the hardened mode no rollout ever publishes another).
  ec2Mock.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [
      {
        LaunchTemplateId: LAUNCH_TEMPLATE_ID,
        LaunchTemplateName: 'batch-registry-gateway-prod',
        VersionNumber: 1,
        DefaultVersion: true,
        CreateTime: new Date('2026-11-01T08:00:00Z'),
        CreatedBy: 'arn:aws:sts::123456789012:assumed-role/cfn-exec/AWSCloudFormation',
        LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 } },
      },
    ],
  });
  installUnattributedFleet({ 'ce-ondemand': 4, 'ce-spot': 2 });
});

describe('status', () => {
  it('in the hardened mode says the instances are not applicable, not a problem, and converged on the credential secrets', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT), credentialSecret('ghcr.io', CURRENT)]);

    const result = await status(clients, refs(HARDENED));

    expect(result.problems).toEqual([]);
    expect(result.data).toMatchObject({
      launchTemplate: { id: LAUNCH_TEMPLATE_ID, defaultVersion: 1, secretVersionId: null },
      computeEnvironments: [
        {
          name: 'ce-ondemand',
          state: 'ENABLED',
          instances: 'not-applicable',
          reason: INSTANCE_CREDENTIALS_OFF_REASON,
          current: null,
          stale: null,
          unknown: null,
        },
        { name: 'ce-spot', instances: 'not-applicable', current: null },
      ],
      instances: { notApplicable: INSTANCES_NOT_APPLICABLE, converged: true },
    });
    expect(result.data.instances).not.toHaveProperty('unknown');
    expect(result.text).toContain(`Instances: ${INSTANCES_NOT_APPLICABLE}`);
    expect(result.text).toMatch(/│ ce-ondemand │ ENABLED │ VALID {2}│ not applicable │/);
    expect(result.text).toContain('(carries no credentials: instance credentials are off)');
    expect(result.text).toContain('Registry credential secrets on AWSCURRENT: 2 of 2');
    expect(result.text).toContain(`Converged on ${CURRENT}: yes, older credentials may be revoked`);
    expect(result.text).not.toMatch(/unknown/);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('in the hardened mode names a credential secret still on an older version as the problem', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT), credentialSecret('ghcr.io', OLD)]);

    const result = await status(clients, refs(HARDENED));

    expect(result.problems).toEqual([
      `registry credential secrets ${PREFIX}ghcr.io do not carry AWSCURRENT ${CURRENT} yet: a rollout of it has not written them (onSecretChanged's log says why); keep the old credentials until it has`,
    ]);
    expect(result.data).toMatchObject({ instances: { converged: false } });
    expect(result.text).toContain('Registry credential secrets on AWSCURRENT: 1 of 2');
    expect(result.text).toContain(`Converged on ${CURRENT}: no, keep the older credentials`);
  });

  it('with instance credentials on still counts the instances and checks the launch template', async () => {
    installCredentialSecrets([credentialSecret('docker.io', CURRENT)]);

    const result = await status(clients, refs());

    expect(result.problems).toEqual([
      `launch template ${LAUNCH_TEMPLATE_ID} default version 1 does not name AWSCURRENT ${CURRENT}: run a rollout (plan shows what it would change)`,
      '0 stale and 6 unknown instances: keep the old credentials until they are replaced',
    ]);
    expect(result.data).toMatchObject({
      computeEnvironments: [
        { name: 'ce-ondemand', instances: 'counted', current: 0, stale: 0, unknown: 4 },
        { name: 'ce-spot', instances: 'counted', current: 0, stale: 0, unknown: 2 },
      ],
      instances: { total: 6, current: 0, stale: 0, unknown: 6, converged: false },
    });
    expect(result.text).toContain('Instances: 6 (0 current, 0 stale, 6 unknown)');
  });
});
