// Section 3: the rollout (lib/rollout/rollout.ts, wired as production.ts wires it) over 1, 5 and
// 20 compute environments, against in-process AWS stand-ins with a fixed latency per call and the
// real registry for the credential check.
import { performance } from 'node:perf_hooks';
import { BatchClient, type ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RegistryClient } from '../lib/registry/client';
import { type RolloutSummary, rollout } from '../lib/rollout/rollout';
import { renderUserData } from '../lib/rollout/user-data';
import type { BenchRegistry } from './gateway';
import { median, metOrNot, ms, preciseRatio, progress, ratio, type TargetResult, table } from './report';
import { CallCounter, difference } from './stand-ins';

export const SIMULATED_AWS_LATENCY_MS = 50;
const SIZES = [1, 5, 20] as const;
const REPEATS = 3;
/** "Roughly flat": 20 compute environments take at most this many times as long as one. */
const MAX_FLAT_RATIO = 1.5;

const ACCOUNT = '123456789012';
const LT_ID = 'lt-0bench000000000001';
const LT_NAME = 'batch-registry-gateway-bench';
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bench/registries-AbCdEf`;
const SECRET_VERSION = 'b2c3d4e5-6789-01ab-cdef-BENCH0000002';
const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch`;

type Input = Record<string, unknown>;
type Answer = (command: string, input: Input) => Record<string, unknown>;

interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: unknown,
        context: { commandName?: string },
      ) => (args: { input: Input }) => Promise<{ output: unknown; response: unknown }>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * Answers every command of `client` from `answer` after `latencyMs`, before the SDK serialises
 * or sends anything: a stand-in for the service with a fixed round-trip time.
 */
export function standIn(
  client: MiddlewareClient,
  service: string,
  calls: CallCounter,
  latencyMs: number,
  answer: Answer,
) {
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      calls.add(`${service}:${command}`);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return { output: { $metadata: { httpStatusCode: 200 }, ...answer(command, args.input) }, response: {} };
    },
    { step: 'initialize', name: 'benchStandIn', priority: 'high' },
  );
}

function computeEnvironment(name: string): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: name,
    computeEnvironmentArn: `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/${name}`,
    ecsClusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/AWSBatch-${name}`,
    type: 'MANAGED',
    state: 'ENABLED',
    status: 'VALID',
    containerOrchestrationType: 'ECS',
    computeResources: {
      type: 'EC2',
      allocationStrategy: 'BEST_FIT_PROGRESSIVE',
      minvCpus: 0,
      maxvCpus: 256,
      instanceTypes: ['optimal'],
      subnets: ['subnet-0a1b2c3d4e5f60718'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      instanceRole: `arn:aws:iam::${ACCOUNT}:instance-profile/ecsInstanceRole`,
      launchTemplate: { launchTemplateId: LT_ID, version: '1' },
    },
    serviceRole: SLR,
  };
}

/** The fleet's AWS state for one run: a launch template at version 1 and `size` environments on it. */
function fleet(size: number, secretString: string, latencyMs: number) {
  const calls = new CallCounter();
  const versions = [{ number: 1, description: 'initial version' as string | undefined }];
  let defaultVersion = 1;
  const tokens = new Map<string, number>();
  const environments = Array.from({ length: size }, (_, i) => computeEnvironment(`bench-ce-${i + 1}`));

  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  standIn(secretsManager, 'secretsmanager', calls, latencyMs, (command, input) => {
    if (command !== 'GetSecretValue') throw new Error(`unexpected Secrets Manager ${command}`);
    return {
      ARN: SECRET_ARN,
      Name: 'bench/registries',
      VersionId: input.VersionId,
      SecretString: secretString,
      VersionStages: ['AWSCURRENT'],
    };
  });

  const ec2 = new EC2Client({ region: 'us-east-1' });
  standIn(ec2, 'ec2', calls, latencyMs, (command, input) => {
    switch (command) {
      case 'DescribeLaunchTemplateVersions':
        return {
          LaunchTemplateVersions: versions.map((version) => ({
            LaunchTemplateId: LT_ID,
            LaunchTemplateName: LT_NAME,
            VersionNumber: version.number,
            VersionDescription: version.description,
            DefaultVersion: version.number === defaultVersion,
          })),
        };
      case 'CreateLaunchTemplateVersion': {
        const token = String(input.ClientToken);
        let number = tokens.get(token);
        if (number === undefined) {
          number = Math.max(...versions.map((version) => version.number)) + 1;
          versions.push({ number, description: String(input.VersionDescription) });
          tokens.set(token, number);
        }
        return { LaunchTemplateVersion: { LaunchTemplateId: LT_ID, VersionNumber: number } };
      }
      case 'ModifyLaunchTemplate':
        defaultVersion = Number(input.DefaultVersion);
        return { LaunchTemplate: { LaunchTemplateId: LT_ID, DefaultVersionNumber: defaultVersion } };
      default:
        throw new Error(`unexpected EC2 ${command}`);
    }
  });

  const batch = new BatchClient({ region: 'us-east-1' });
  const updated: string[] = [];
  standIn(batch, 'batch', calls, latencyMs, (command, input) => {
    switch (command) {
      case 'DescribeComputeEnvironments': {
        const wanted = input.computeEnvironments as string[] | undefined;
        return {
          computeEnvironments: environments.filter(
            (ce) => wanted === undefined || wanted.includes(ce.computeEnvironmentName ?? ''),
          ),
        };
      }
      case 'UpdateComputeEnvironment':
        updated.push(String(input.computeEnvironment));
        return { computeEnvironmentArn: input.computeEnvironment };
      default:
        throw new Error(`unexpected Batch ${command}`);
    }
  });
  return {
    calls,
    updated,
    environments: environments.map((ce) => ce.computeEnvironmentName ?? ''),
    ec2,
    batch,
    secretsManager,
  };
}

interface RolloutRun {
  readonly size: number;
  readonly wallMs: number;
  readonly awsCalls: Map<string, number>;
  readonly registryCalls: Map<string, number>;
  readonly summary: RolloutSummary;
}

async function runOnce(size: number, registry: BenchRegistry, secretString: string): Promise<RolloutRun> {
  const state = fleet(size, secretString, SIMULATED_AWS_LATENCY_MS);
  // A new RegistryClient per run: a fresh container, no cached registry auth.
  const verifier = new RegistryClient({ timeoutMs: 5000 });
  const registryBefore = registry.proxy.calls.snapshot();
  const startedAt = performance.now();
  const summary = await rollout(
    {
      ec2: state.ec2,
      batch: state.batch,
      secretsManager: state.secretsManager,
      verifier,
      renderUserData,
      settings: {
        launchTemplateId: LT_ID,
        computeEnvironments: state.environments,
        verifyCredentials: true,
        updateTerminateJobs: false,
        updateJobTimeoutMinutes: 30,
        keepLaunchTemplateVersions: 10,
        // This bench measures the instance path; bench/task-credentials.ts the credential secrets.
        taskCredentials: false,
        instanceCredentials: true,
        registrySecretPrefix: 'batch-registry-gateway/bench/registry/',
      },
      // The rollout's log lines are not part of this report.
      logger: { info: () => undefined, warn: () => undefined },
      sleep: (delayMs) => new Promise((resolve) => setTimeout(resolve, delayMs)),
    },
    { secretArn: SECRET_ARN, secretVersionId: SECRET_VERSION },
  );
  const wallMs = performance.now() - startedAt;
  const notUpdated = summary.computeEnvironments.filter((result) => result.outcome.kind !== 'updated');
  if (notUpdated.length > 0 || state.updated.length !== size) {
    throw new Error(`rollout over ${size} compute environments did not update them all`);
  }
  return {
    size,
    wallMs,
    awsCalls: state.calls.snapshot(),
    registryCalls: difference(registry.proxy.calls.snapshot(), registryBefore),
    summary,
  };
}

function total(calls: Map<string, number>): number {
  let sum = 0;
  for (const count of calls.values()) sum += count;
  return sum;
}

function breakdown(calls: Map<string, number>): string {
  return [...calls]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation.split(':')[1]} ${count}`)
    .join(', ');
}

/** Section 3: wall time and AWS calls of a rollout over 1, 5 and 20 compute environments. */
export async function rolloutSection(
  registry: BenchRegistry,
): Promise<{ markdown: string; targets: TargetResult[] }> {
  const secretString = JSON.stringify({
    registries: [
      { registry_url: registry.proxy.url, username: registry.username, password: registry.password },
    ],
  });
  const results: { size: number; wallMs: number; run: RolloutRun }[] = [];
  for (const size of SIZES) {
    progress(`rollout over ${size} compute environment(s), ${REPEATS} runs`);
    const runs: RolloutRun[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1)
      runs.push(await runOnce(size, registry, secretString));
    const counts = new Set(runs.map((run) => total(run.awsCalls)));
    if (counts.size !== 1)
      throw new Error(`rollout over ${size} made a different number of AWS calls per run`);
    const first = runs[0];
    if (!first) throw new Error('no rollout run');
    results.push({ size, wallMs: median(runs.map((run) => run.wallMs)), run: first });
  }

  const one = results[0];
  const rows = results.map(({ size, wallMs, run }) => [
    String(size),
    String(total(run.awsCalls)),
    breakdown(run.awsCalls),
    String(total(run.registryCalls)),
    ms(wallMs),
    ms(total(run.awsCalls) * SIMULATED_AWS_LATENCY_MS),
    one ? ratio(wallMs / one.wallMs) : '',
  ]);
  const markdown = [
    '### 3. Rollout over 1, 5 and 20 compute environments',
    '',
    `\`rollout()\` from lib/rollout, wired as production.ts wires it, with each AWS call answered by an`,
    `in-process stand-in after ${SIMULATED_AWS_LATENCY_MS} ms (SDK middleware, before serialisation; EC2, Batch,`,
    'Secrets Manager); VERIFY_CREDENTIALS=true against the real registry (a fresh RegistryClient per',
    `run). Every environment starts VALID on version 1 and is updated to version 2. Wall time: median of ${REPEATS} runs;`,
    '"if serial" = AWS calls × latency.',
    '',
    table(
      ['compute envs', 'AWS calls', 'by operation', 'registry calls', 'wall time', 'if serial', 'vs 1 env'],
      rows,
    ),
  ].join('\n');

  const largest = results.at(-1);
  const flat = one && largest ? largest.wallMs / one.wallMs : Number.NaN;
  const targets: TargetResult[] = [
    {
      target: `rollout time roughly flat: ${largest?.size ?? '?'} envs ≤ ${ratio(MAX_FLAT_RATIO)} the time of 1`,
      measured: `${ms(largest?.wallMs ?? Number.NaN)} / ${ms(one?.wallMs ?? Number.NaN)} = ${preciseRatio(flat)}`,
      met: flat <= MAX_FLAT_RATIO,
    },
  ];
  progress(`rollout: ${metOrNot(flat <= MAX_FLAT_RATIO)}`);
  return { markdown, targets };
}
