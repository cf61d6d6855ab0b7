// Section 4: the rollout's registry credential secrets (SPEC §11) over 1, 5 and 20 registries, in a
// stack without instances (nothing but the secrets changes), against an in-process Secrets
// Manager stand-in with a fixed latency per call and a registry login stand-in with the same.
import { performance } from 'node:perf_hooks';
import { BatchClient } from '@aws-sdk/client-batch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rollout } from '../lib/rollout/rollout';
import { renderUserData } from '../lib/rollout/user-data';
import { median, metOrNot, ms, preciseRatio, progress, ratio, type TargetResult, table } from './report';
import { SIMULATED_AWS_LATENCY_MS, standIn } from './rollout';
import { CallCounter } from './stand-ins';

const SIZES = [1, 5, 20] as const;
const REPEATS = 3;
const MAX_FLAT_RATIO = 1.5;
const ACCOUNT = '123456789012';
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bench/registries-AbCdEf`;
const PREFIX = 'batch-registry-gateway/bench/registry/';
const V1 = 'b2c3d4e5-6789-01ab-cdef-BENCH0000001';
const V2 = 'b2c3d4e5-6789-01ab-cdef-BENCH0000002';

type Case = 'first rollout' | 'rotation' | 'rerun';

interface Stored {
  arn: string;
  value: string;
  versionId: string;
  tags: Array<{ Key: string; Value: string }>;
}

/** Secrets Manager as the sync uses it, in memory; the registry secret holds `values` by version. */
function secretsStandIn(calls: CallCounter, values: Record<string, string>) {
  const secrets = new Map<string, Stored>();
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const find = (id: unknown) => secrets.get(String(id)) ?? [...secrets.values()].find((s) => s.arn === id);
  standIn(client, 'secretsmanager', calls, SIMULATED_AWS_LATENCY_MS, (command, input) => {
    if (input.SecretId === SECRET_ARN) {
      if (command === 'GetSecretValue') {
        return { ARN: SECRET_ARN, VersionId: input.VersionId, SecretString: values[String(input.VersionId)] };
      }
      if (command === 'DescribeSecret') return { ARN: SECRET_ARN, Name: 'bench/registries' };
    }
    switch (command) {
      case 'ListSecrets':
        return {
          SecretList: [...secrets].map(([name, stored]) => ({
            Name: name,
            ARN: stored.arn,
            Tags: stored.tags,
          })),
        };
      case 'CreateSecret': {
        const name = String(input.Name);
        const arn = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}-AbCdEf`;
        secrets.set(name, {
          arn,
          value: String(input.SecretString),
          versionId: String(input.ClientRequestToken),
          tags: input.Tags as Stored['tags'],
        });
        return { ARN: arn, Name: name };
      }
      case 'GetSecretValue': {
        const stored = find(input.SecretId);
        return { ARN: stored?.arn, VersionId: stored?.versionId, SecretString: stored?.value };
      }
      case 'PutSecretValue': {
        const stored = find(input.SecretId);
        if (stored) {
          stored.value = String(input.SecretString);
          stored.versionId = String(input.ClientRequestToken);
        }
        return { ARN: stored?.arn };
      }
      case 'TagResource': {
        const stored = find(input.SecretId);
        if (stored) stored.tags = input.Tags as Stored['tags'];
        return {};
      }
      default:
        throw new Error(`unexpected Secrets Manager ${command}`);
    }
  });
  return client;
}

function secretString(size: number, suffix: string): string {
  return JSON.stringify({
    registries: Array.from({ length: size }, (_, i) => ({
      registry_url: `registry-${i + 1}.bench.example.com`,
      username: 'bench-bot',
      password: `bench-${suffix}-${i + 1}`,
    })),
  });
}

/** One stack's three rollouts in a row: the first (all created), a rotation (all changed), a rerun. */
async function runOnce(size: number): Promise<Map<Case, { wallMs: number; calls: Map<string, number> }>> {
  const values = { [V1]: secretString(size, 'one'), [V2]: secretString(size, 'two') };
  const results = new Map<Case, { wallMs: number; calls: Map<string, number> }>();
  const secretsCalls = new CallCounter();
  const secretsManager = secretsStandIn(secretsCalls, values);
  for (const [kind, version] of [
    ['first rollout', V1],
    ['rotation', V2],
    ['rerun', V2],
  ] as const) {
    const before = secretsCalls.snapshot();
    const startedAt = performance.now();
    const summary = await rollout(
      {
        ec2: new EC2Client({ region: 'us-east-1' }),
        batch: new BatchClient({ region: 'us-east-1' }),
        secretsManager,
        // A registry login stand-in: one simulated round trip per registry.
        verifier: { login: () => new Promise((resolve) => setTimeout(resolve, SIMULATED_AWS_LATENCY_MS)) },
        renderUserData,
        settings: {
          launchTemplateId: '',
          computeEnvironments: [],
          verifyCredentials: true,
          updateTerminateJobs: false,
          updateJobTimeoutMinutes: 30,
          keepLaunchTemplateVersions: 10,
          taskCredentials: true,
          instanceCredentials: true,
          registrySecretPrefix: PREFIX,
        },
        logger: { info: () => undefined, warn: () => undefined },
        sleep: (delayMs) => new Promise((resolve) => setTimeout(resolve, delayMs)),
      },
      { secretArn: SECRET_ARN, secretVersionId: version },
    );
    const wallMs = performance.now() - startedAt;
    const expected = { 'first rollout': 'created', rotation: 'updated', rerun: 'unchanged' }[kind];
    if (
      summary.credentialSecrets?.length !== size ||
      summary.credentialSecrets.some((r) => r.outcome.kind !== expected)
    ) {
      throw new Error(`${kind} over ${size} registries did not end ${expected}`);
    }
    const after = secretsCalls.snapshot();
    const calls = new Map<string, number>();
    for (const [operation, count] of after) {
      const delta = count - (before.get(operation) ?? 0);
      if (delta > 0) calls.set(operation.split(':')[1] ?? operation, delta);
    }
    results.set(kind, { wallMs, calls });
  }
  return results;
}

const sum = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

/** Section 4: AWS calls per registry and wall time of the credential secrets over 1, 5 and 20 registries. */
export async function taskCredentialsSection(): Promise<{ markdown: string; targets: TargetResult[] }> {
  const rows: string[][] = [];
  const rotationMs = new Map<number, number>();
  for (const size of SIZES) {
    progress(`credential secrets over ${size} registr${size === 1 ? 'y' : 'ies'}, ${REPEATS} runs`);
    const runs = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) runs.push(await runOnce(size));
    for (const kind of ['first rollout', 'rotation', 'rerun'] as const) {
      const samples = runs.map((run) => run.get(kind)).filter((run) => run !== undefined);
      const first = samples[0];
      if (!first) throw new Error('no run');
      const wallMs = median(samples.map((sample) => sample.wallMs));
      if (kind === 'rotation') rotationMs.set(size, wallMs);
      const calls = sum(first.calls);
      rows.push([
        String(size),
        kind,
        String(calls),
        (calls / size).toFixed(2),
        [...first.calls]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([operation, count]) => `${operation} ${count}`)
          .join(', '),
        ms(wallMs),
      ]);
    }
  }
  const one = rotationMs.get(1) ?? Number.NaN;
  const twenty = rotationMs.get(20) ?? Number.NaN;
  const markdown = [
    '### 4. Registry credential secrets over 1, 5 and 20 registries (SPEC §11)',
    '',
    '`rollout()` in a stack without instances (TASK_CREDENTIALS=true, no launch template or compute',
    `environment), each Secrets Manager call answered by an in-process stand-in after ${SIMULATED_AWS_LATENCY_MS} ms and each`,
    `registry login by a stand-in after ${SIMULATED_AWS_LATENCY_MS} ms. Per stack, three rollouts in a row: the first (every`,
    'secret created), a rotation (every password changed) and a rerun of it (nothing written). The',
    `registry secret's own GetSecretValue is counted. Wall time: median of ${REPEATS} runs.`,
    '',
    table(['registries', 'rollout', 'AWS calls', 'per registry', 'by operation', 'wall time'], rows),
  ].join('\n');
  const flat = twenty / one;
  const targets: TargetResult[] = [
    {
      target: `credential secrets flat: a rotation over 20 registries ≤ ${ratio(MAX_FLAT_RATIO)} the time of 1`,
      measured: `${ms(twenty)} / ${ms(one)} = ${preciseRatio(flat)}`,
      met: flat <= MAX_FLAT_RATIO,
    },
  ];
  progress(`credential secrets: ${metOrNot(flat <= MAX_FLAT_RATIO)}`);
  return { markdown, targets };
}
