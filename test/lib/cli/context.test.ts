import 'aws-sdk-client-mock-jest';
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { openStack } from '../../../lib/cli/context';

const cloudFormationMock = mockClient(CloudFormationClient);
const ACCOUNT = '123456789012';
const STACK = 'batch-registry-gateway-prod';
const OPTIONS = { stage: 'prod', region: 'eu-west-1', local: false, json: false };

/** DescribeStacks as CloudFormation answers it for the deployed stack, with these outputs. */
function stackWith(outputs: Output[]) {
  cloudFormationMock.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackId: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/${STACK}/6c2c5e10-8f3a-11ef-9a1b-0a1b2c3d4e5f`,
        CreationTime: new Date('2026-11-02T09:00:00Z'),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: outputs,
      },
    ],
  });
}

const SECRET_OUTPUT: Output = {
  OutputKey: 'RegistrySecretArn',
  OutputValue: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:batch-registry-gateway-prod-registry-credentials-AbC123`,
  Description: 'The registry secret (put credentials here; the fleet follows).',
};

beforeEach(() => cloudFormationMock.reset());

describe('openStack', () => {
  it("reads the credential secrets' prefix from the stack's RegistryCredentialSecretPrefix output", async () => {
    stackWith([
      SECRET_OUTPUT,
      {
        OutputKey: 'RegistryCredentialSecretPrefix',
        OutputValue: 'batch-registry-gateway/prod/registry/',
        Description: 'Name prefix of the per-registry credential secrets.',
      },
      { OutputKey: 'ComputeEnvironments', OutputValue: 'ce-ondemand,ce-spot' },
    ]);

    const { refs } = await openStack(OPTIONS, '/nonexistent');

    expect(refs).toMatchObject({
      name: STACK,
      registrySecretPrefix: 'batch-registry-gateway/prod/registry/',
      computeEnvironments: ['ce-ondemand', 'ce-spot'],
    });
  });
});
