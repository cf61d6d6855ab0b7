import 'aws-sdk-client-mock-jest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { check, INSTANCE_CREDENTIALS_NOTE } from '../../../lib/cli/check';
import type { StackRefs } from '../../../lib/cli/context';
import { plan } from '../../../lib/cli/plan';
import {
  CURRENT,
  ec2ComputeEnvironment,
  installFleet,
  PREFIX,
  resetFleet,
  SECRET_ARN,
} from '../fleet/fake-fleet';

// plan and check with instanceCredentials=false (the hardened mode): the rollout moves no instance
// and the instance role cannot read the secret, so neither says otherwise.

const ec2Mock = mockClient(EC2Client);
const clients = {
  secretsManager: new SecretsManagerClient({}),
  ec2: new EC2Client({}),
  batch: new BatchClient({}),
  ecs: new ECSClient({}),
};
const refs = (instanceCredentials: boolean): StackRefs => ({
  name: 'batch-registry-gateway-prod',
  region: 'us-east-1',
  secretArn: SECRET_ARN,
  stagingSecretArn: undefined,
  launchTemplateId: 'lt-0abcd1234ef567890',
  computeEnvironments: ['ce-ondemand'],
  jobQueue: undefined,
  registrySecretPrefix: PREFIX,
  instanceCredentials,
  taskCredentials: true,
});
const dir = mkdtempSync(join(tmpdir(), 'brg-check-'));
const secretFile = join(dir, 'secret.json');

beforeAll(() => {
  writeFileSync(secretFile, JSON.stringify({ username: 'bot', password: 'pw-LEAK-CANARY-3k' }), {
    mode: 0o600,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  resetFleet();
  ec2Mock.reset();
  installFleet([ec2ComputeEnvironment('ce-ondemand')], {});
});

describe('plan with instance credentials off', () => {
  it('plans the credential secrets only, reading no launch template', async () => {
    const result = await plan(clients, refs(false));

    expect(result.problems).toEqual([]);
    expect(result.data).toEqual({
      secretVersionId: CURRENT,
      launchTemplate: null,
      computeEnvironments: [],
      prune: [],
    });
    expect(result.text).toBe(
      `A rollout of ${CURRENT} would verify the credentials and sync the registry credential secrets only (instance credentials are off: no launch template version, no compute environment update).`,
    );
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeLaunchTemplateVersionsCommand);
  });
});

describe('check', () => {
  const verifier = { login: jest.fn().mockResolvedValue(undefined) };

  it.each([
    [false, []],
    [true, [INSTANCE_CREDENTIALS_NOTE]],
  ])(
    'with instance credentials %s on an EC2 compute environment notes %j',
    async (instanceCredentials, notes) => {
      const result = await check(clients, refs(instanceCredentials), verifier, secretFile);

      expect(result.data.notes).toEqual(notes);
      expect(result.problems).toEqual([]);
    },
  );
});
