// `npm run local:rotate`: a staged rotation against the running local stack (`npm start`).
// Stages the second registry user's credentials as AWSPENDING, then runs rotateSecret's four
// steps through serverless-offline's Lambda endpoint, as Secrets Manager would.
import { randomUUID } from 'node:crypto';
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

const FUNCTION = 'batch-registry-gateway-local-rotateSecret';

async function main(): Promise<void> {
  const stack = JSON.parse(readFileSync(join(__dirname, '..', '.local', 'stack.json'), 'utf8')) as LocalStack;
  const client = {
    endpoint: stack.motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const secrets = new SecretsManagerClient(client);
  const token = randomUUID();
  await secrets.send(
    new PutSecretValueCommand({
      SecretId: stack.secretArn,
      ClientRequestToken: token,
      VersionStages: ['AWSPENDING'],
      SecretString: JSON.stringify({ registries: [{ registry_url: stack.registryUrl, ...stack.nextUser }] }),
    }),
  );
  console.log(`staged AWSPENDING version ${token}`);
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
