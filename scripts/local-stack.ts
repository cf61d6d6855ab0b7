// `npm start`: the whole service on this machine, with no AWS account (SPEC §10).
// moto plays AWS, the CNCF distribution registry plays the private registry, serverless-offline
// serves the HTTP API. Ctrl-C stops everything this started.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_LOCAL_CALLER } from '../lib/ownership/owner';
import { versionDescriptionFor } from '../lib/rollout/launch-template';
import { renderUserData } from '../lib/rollout/user-data';
import { createIdempotencyTable } from './servers/idempotency-table';
import { startMoto } from './servers/moto';
import { createStagingSecret, enableRotation, provisionBatchFleet } from './servers/moto-fleet';
import { provisionExecutionRole } from './servers/moto-task-credentials';
import { waitFor } from './servers/processes';
import { basicAuth, pushImage, type RegistryUser, startRegistry } from './servers/registry';

const root = join(__dirname, '..');
const STAGE = 'local';
const NAME = 'batch-registry-gateway-local';
/** serverless.yml's registrySecretPrefix for the local stage. */
const REGISTRY_SECRET_PREFIX = `batch-registry-gateway/${STAGE}/registry/`;

function port(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a TCP port`);
  return value;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly lambdaUrl: string;
  readonly motoEndpoint: string;
  readonly registryUrl: string;
  readonly registryHost: string;
  readonly secretArn: string;
  /** Where `npm run local:rotate` stages the next credentials (SPEC §6). */
  readonly stagingSecretArn: string;
  readonly launchTemplateId: string;
  readonly computeEnvironment: string;
  readonly jobQueue: string;
  /** The execution role of managed job definitions (SPEC §11), reading the credential secrets. */
  readonly executionRoleArn: string;
  /** Name prefix of the per-registry credential secrets, as serverless.yml sets it for the local stage. */
  readonly registrySecretPrefix: string;
  /** fleetReport's convergence table (SPEC §12). */
  readonly convergenceTable: string;
  /** The Idempotency-Key table (SPEC §14). */
  readonly idempotencyTable: string;
  /** Every request's caller: IAM is off locally (SPEC §14). */
  readonly localCaller: string;
  /** A second registry user, for a local rotation to switch to. */
  readonly nextUser: RegistryUser;
}

async function main(): Promise<void> {
  const httpPort = port('BRG_HTTP_PORT', 3000);
  const lambdaPort = port('BRG_LAMBDA_PORT', 3002);
  const stops: Array<() => Promise<void>> = [];
  let offline: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the local stack...');
    if (offline?.pid && offline.exitCode === null) {
      const exited = new Promise((resolve) => offline?.once('exit', resolve));
      process.kill(-offline.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (offline.exitCode === null) process.kill(-offline.pid, 'SIGKILL');
    }
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    console.log('Stopped.');
    process.exit(code);
  };
  // Ctrl-C, `kill`, a closed terminal: each stops everything this started.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // `npm start` runs this through `sh -c`, which dies of a SIGTERM npm passes on without passing it
  // further: when the process that started this one is gone, stop as well.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopAll(0);
  }, 250).unref();

  try {
    const moto = await startMoto({ port: port('BRG_MOTO_PORT', 5001) });
    stops.push(moto.stop);
    Object.assign(process.env, moto.env);
    console.log(`moto (AWS emulator)        ${moto.endpoint}`);

    const user: RegistryUser = { username: 'local', password: randomBytes(12).toString('base64url') };
    const nextUser: RegistryUser = {
      username: 'local-rotated',
      password: randomBytes(12).toString('base64url'),
    };
    const registry = await startRegistry(
      { kind: 'htpasswd', users: [user, nextUser] },
      { port: port('BRG_REGISTRY_PORT', 5000) },
    );
    stops.push(registry.stop);
    await pushImage(registry.url, 'samples/hello', 'latest', basicAuth(user));
    console.log(
      `registry (htpasswd auth)   ${registry.url}  (sample image ${registry.host}/samples/hello:latest)`,
    );

    const stack = await provision(
      moto.endpoint,
      registry.url,
      registry.host,
      user,
      nextUser,
      httpPort,
      lambdaPort,
    );
    mkdirSync(join(root, '.local'), { recursive: true });
    // BRG_LOCAL_STATE_FILE: a second stack (a test's) keeps its state apart from `npm start`'s.
    writeFileSync(
      process.env.BRG_LOCAL_STATE_FILE ?? join(root, '.local', 'stack.json'),
      `${JSON.stringify(stack, null, 2)}\n`,
      {
        mode: 0o600,
      },
    );

    offline = spawn('serverless', ['offline', 'start', '--stage', STAGE], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        BRG_HTTP_PORT: String(httpPort),
        BRG_LAMBDA_PORT: String(lambdaPort),
        REGISTRY_SECRET_ARN: stack.secretArn,
        REGISTRY_STAGING_SECRET_ARN: stack.stagingSecretArn,
        LAUNCH_TEMPLATE_ID: stack.launchTemplateId,
        COMPUTE_ENVIRONMENTS: stack.computeEnvironment,
        JOB_QUEUE: stack.jobQueue,
        EXECUTION_ROLE_ARN: stack.executionRoleArn,
        CONVERGENCE_TABLE: stack.convergenceTable,
        IDEMPOTENCY_TABLE: stack.idempotencyTable,
        BRG_LOCAL_CALLER: stack.localCaller,
      },
    });
    offline.once('exit', (code) => {
      if (!stopping) {
        console.error(`serverless-offline exited (${code ?? 'signal'}); stopping.`);
        void stopAll(1);
      }
    });
    await waitFor(
      async () => (await fetch(`${stack.apiUrl}/registries`)).status === 200,
      120_000,
      () => 'serverless-offline did not answer GET /registries',
    );
    await reconcile(stack);
    printUsage(stack);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await stopAll(1);
  }
}

async function provision(
  endpoint: string,
  registryUrl: string,
  registryHost: string,
  user: RegistryUser,
  nextUser: RegistryUser,
  httpPort: number,
  lambdaPort: number,
): Promise<LocalStack> {
  const client = { endpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
  const secrets = new SecretsManagerClient(client);
  const secret = await secrets.send(
    new CreateSecretCommand({
      Name: `${NAME}-registry-credentials`,
      SecretString: JSON.stringify({ registries: [{ registry_url: registryUrl, ...user }] }),
    }),
  );
  if (!secret.ARN) throw new Error('moto returned no secret ARN');
  const versionId = await enableRotation(secrets, secret.ARN);
  const stagingSecretArn = await createStagingSecret(secrets, `${NAME}-registry-credentials-staging`);
  const launchTemplate = await new EC2Client(client).send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: NAME,
      // As the rollout describes its versions, so the first rollout (reconcile) reuses this one.
      VersionDescription: versionDescriptionFor(versionId),
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        UserData: Buffer.from(
          renderUserData({ secretArn: secret.ARN, secretVersion: { versionId } }),
        ).toString('base64'),
      },
    }),
  );
  const launchTemplateId = launchTemplate.LaunchTemplate?.LaunchTemplateId;
  if (!launchTemplateId) throw new Error('moto returned no launch template id');
  const fleet = await provisionBatchFleet(client, {
    name: NAME,
    launchTemplate: { launchTemplateId, version: '$Default' },
  });
  const executionRoleArn = await provisionExecutionRole(client, {
    name: NAME,
    prefix: REGISTRY_SECRET_PREFIX,
  });
  const convergenceTable = `${NAME}-convergence`;
  await new DynamoDBClient(client).send(
    new CreateTableCommand({
      TableName: convergenceTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const idempotencyTable = await createIdempotencyTable(client, `${NAME}-idempotency`);
  console.log(
    `provisioned in moto        secret, launch template ${launchTemplateId}, compute environment, job queue, execution role, idempotency table`,
  );
  return {
    apiUrl: `http://127.0.0.1:${httpPort}`,
    lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
    motoEndpoint: endpoint,
    registryUrl,
    registryHost,
    secretArn: secret.ARN,
    stagingSecretArn,
    launchTemplateId,
    computeEnvironment: fleet.computeEnvironmentArn,
    jobQueue: fleet.jobQueueArn,
    executionRoleArn,
    registrySecretPrefix: REGISTRY_SECRET_PREFIX,
    convergenceTable,
    idempotencyTable,
    localCaller: process.env.BRG_LOCAL_CALLER || DEFAULT_LOCAL_CALLER,
    nextUser,
  };
}

/**
 * Runs onSecretChanged's reconcile once through serverless-offline's Lambda endpoint, as the
 * stack's schedule would: the first rollout, which creates the registry credential secrets that
 * per-task credentials read (SPEC §11).
 */
async function reconcile(stack: LocalStack): Promise<void> {
  const response = await fetch(
    `${stack.lambdaUrl}/2015-03-31/functions/${NAME}-onSecretChanged/invocations`,
    {
      method: 'POST',
      body: JSON.stringify({
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [`arn:aws:events:us-east-1:123456789012:rule/${NAME}-reconcile`],
        detail: {},
      }),
    },
  );
  const failed =
    response.headers.get('x-amz-function-error') ?? (response.ok ? undefined : String(response.status));
  if (failed)
    throw new Error(`the first rollout failed (${failed}): ${(await response.text()).slice(0, 500)}`);
  console.log(`first rollout              registry credential secrets under ${stack.registrySecretPrefix}`);
}

function printUsage(stack: LocalStack): void {
  const image = `${stack.registryHost}/samples/hello:latest`;
  console.log(`
The gateway is up on ${stack.apiUrl}  (IAM auth is OFF locally: serverless-offline --noAuth;
every request's caller is ${stack.localCaller}, set BRG_LOCAL_CALLER to change it)

  Registries:      curl -s ${stack.apiUrl}/registries
  Submit a job:    curl -s -X POST ${stack.apiUrl}/jobs -H 'content-type: application/json' \\
                     -H 'idempotency-key: hello-1' \\
                     -d '{"image":"${image}","command":["echo","hello"]}'
                   (the same key again answers the same job: a retry never submits twice)
  Read it back:    curl -s ${stack.apiUrl}/jobs/<jobId>
  Its output:      curl -s ${stack.apiUrl}/jobs/<jobId>/logs
  Cancel it:       curl -s -X DELETE ${stack.apiUrl}/jobs/<jobId>
  Rotate:          npm run local:rotate     (stages new credentials, RotateSecret, the four steps)
  Status:          npx batch-registry-gateway status --local   (also check, plan: --help)

State: .local/stack.json   Ctrl-C stops everything.`);
}

void main();
