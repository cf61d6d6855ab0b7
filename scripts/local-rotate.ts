// `npm run local:rotate`: a staged rotation against the running local stack (`npm start`), the
// way an operator rotates a deployed one (README, Rotating credentials): the second registry
// user's credentials go into the staging secret; RotateSecret creates the rotation's AWSPENDING
// version without a value, under a token it chooses; rotateSecret's four steps then run through
// serverless-offline's Lambda endpoint, as Secrets Manager would invoke them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { versionWithStage } from '../lib/registry/secret-store';
import type { LocalStack } from './local-stack';
import { startRotation } from './servers/moto-fleet';

const FUNCTION = 'batch-registry-gateway-local-rotateSecret';

async function main(): Promise<void> {
  const stack = JSON.parse(readFileSync(join(__dirname, '..', '.local', 'stack.json'), 'utf8')) as LocalStack;
  const moto = { endpoint: stack.motoEndpoint, region: 'us-east-1' };
  const client = { ...moto, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const secrets = new SecretsManagerClient(client);
  await secrets.send(
    new PutSecretValueCommand({
      SecretId: stack.stagingSecretArn,
      SecretString: JSON.stringify({ registries: [{ registry_url: stack.registryUrl, ...stack.nextUser }] }),
    }),
  );
  console.log(`staged the next credentials in ${stack.stagingSecretArn}`);
  const token = await startRotation(secrets, moto, stack.secretArn);
  console.log(`RotateSecret: rotation ${token} (AWSPENDING, no value yet)`);
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
    const response = await fetch(`${stack.lambdaUrl}/2015-03-31/functions/${FUNCTION}/invocations`, {
      method: 'POST',
      body: JSON.stringify({ SecretId: stack.secretArn, ClientRequestToken: token, Step: step }),
    });
    const failed =
      response.headers.get('x-amz-function-error') ?? (response.ok ? undefined : String(response.status));
    if (failed) throw new Error(`${step} failed (${failed}): ${(await response.text()).slice(0, 500)}`);
    console.log(`${step}: ok`);
  }
  const described = await secrets.send(new DescribeSecretCommand({ SecretId: stack.secretArn }));
  const current = versionWithStage(described.VersionIdsToStages, 'AWSCURRENT');
  const versions = await new EC2Client(client).send(
    new DescribeLaunchTemplateVersionsCommand({
      LaunchTemplateId: stack.launchTemplateId,
      Versions: ['$Default'],
    }),
  );
  console.log(
    `AWSCURRENT is now ${current}; launch template default version ${versions.LaunchTemplateVersions?.[0]?.VersionNumber}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
