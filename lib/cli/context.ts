import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_REGISTRY_SECRET_PREFIX } from '../config';

/** What the CLI knows about one stack: its outputs (SPEC §12), or the `npm start` stack's state file. */
export interface StackRefs {
  readonly name: string;
  readonly region: string;
  readonly secretArn: string;
  readonly stagingSecretArn: string | undefined;
  readonly launchTemplateId: string | undefined;
  readonly computeEnvironments: readonly string[];
  readonly jobQueue: string | undefined;
  readonly registrySecretPrefix: string;
  /** Instances read the registry secret at boot (parameter instanceCredentials); false is the hardened mode. */
  readonly instanceCredentials: boolean;
  /** Per-registry credential secrets (parameter taskCredentials). */
  readonly taskCredentials: boolean;
}

export interface CliClients {
  readonly secretsManager: SecretsManagerClient;
  readonly ec2: EC2Client;
  readonly batch: BatchClient;
  readonly ecs: ECSClient;
}

export interface GlobalOptions {
  readonly stage: string;
  readonly region: string;
  readonly local: boolean;
  readonly json: boolean;
}

/** The stack could not be found or lacks an output the command needs. Exit 1, never a stack trace. */
export class StackError extends Error {
  override readonly name = 'StackError';
}

/** A stack setting as `true`/`false` text (or a JSON boolean); anything else, or nothing, is the stack's default `true`. */
function flag(value: unknown): boolean {
  return !(value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false'));
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The `npm start` stack: `.local/stack.json`, written by scripts/local-stack.ts; moto holds its resources. */
function localStack(stateFile: string, region: string): { refs: StackRefs; endpoint: string } {
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new StackError(`No local stack state at ${stateFile}: start the local stack with npm start first.`);
  }
  const text = (key: string) => (typeof state[key] === 'string' ? (state[key] as string) : undefined);
  const secretArn = text('secretArn');
  const endpoint = text('motoEndpoint');
  if (!secretArn || !endpoint) throw new StackError(`${stateFile} names no secretArn or motoEndpoint.`);
  return {
    endpoint,
    refs: {
      name: 'batch-registry-gateway-local',
      region,
      secretArn,
      stagingSecretArn: text('stagingSecretArn'),
      launchTemplateId: text('launchTemplateId'),
      computeEnvironments: list(text('computeEnvironment') ?? text('computeEnvironments')),
      jobQueue: text('jobQueue'),
      registrySecretPrefix: text('registrySecretPrefix') ?? DEFAULT_REGISTRY_SECRET_PREFIX,
      instanceCredentials: flag(state.instanceCredentials),
      taskCredentials: flag(state.taskCredentials),
    },
  };
}

/** A deployed stack, `batch-registry-gateway-<stage>`, read from its CloudFormation outputs. */
async function deployedStack(stage: string, region: string): Promise<StackRefs> {
  const name = `batch-registry-gateway-${stage}`;
  const cloudFormation = new CloudFormationClient({ region });
  try {
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
    const outputs = new Map(
      (described.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    const secretArn = outputs.get('RegistrySecretArn');
    if (!secretArn) throw new StackError(`Stack ${name} in ${region} has no RegistrySecretArn output.`);
    return {
      name,
      region,
      secretArn,
      stagingSecretArn: outputs.get('RegistryStagingSecretArn') ?? outputs.get('StagingSecretArn'),
      launchTemplateId: outputs.get('LaunchTemplateId') || undefined,
      computeEnvironments: list(outputs.get('ComputeEnvironments')),
      jobQueue: outputs.get('JobQueue'),
      registrySecretPrefix: outputs.get('RegistryCredentialSecretPrefix') ?? DEFAULT_REGISTRY_SECRET_PREFIX,
      // A stack deployed before these outputs existed is read with the parameters' defaults (true).
      instanceCredentials: flag(outputs.get('InstanceCredentials')),
      taskCredentials: flag(outputs.get('TaskCredentials')),
    };
  } catch (error) {
    if (error instanceof StackError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    throw new StackError(`Could not read stack ${name} in ${region} (${reason}).`);
  } finally {
    cloudFormation.destroy();
  }
}

/** Resolves the stack and creates the AWS clients the commands use (moto's endpoint with --local). */
export async function openStack(
  options: GlobalOptions,
  root: string,
  stateFile = join(root, '.local', 'stack.json'),
): Promise<{ refs: StackRefs; clients: CliClients }> {
  let refs: StackRefs;
  let clientConfig: ConstructorParameters<typeof SecretsManagerClient>[0] = { region: options.region };
  if (options.local) {
    const local = localStack(stateFile, options.region);
    refs = local.refs;
    clientConfig = {
      region: options.region,
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
  } else {
    refs = await deployedStack(options.stage, options.region);
  }
  return {
    refs,
    clients: {
      secretsManager: new SecretsManagerClient(clientConfig),
      ec2: new EC2Client(clientConfig),
      batch: new BatchClient(clientConfig),
      ecs: new ECSClient(clientConfig),
    },
  };
}
