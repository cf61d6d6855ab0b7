// Section 6: fleetReport (lib/fleet/report.ts) over 1, 5 and 20 compute environments of 10 and
// 1 000 container instances each, against in-process AWS stand-ins with a fixed latency per call.
import { performance } from 'node:perf_hooks';
import { BatchClient, type ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SECRET_VERSION_ATTRIBUTE } from '../lib/fleet/counts';
import { type FleetReport, fleetReport } from '../lib/fleet/report';
import { median, ms, preciseRatio, progress, ratio, type TargetResult, table } from './report';
import { SIMULATED_AWS_LATENCY_MS, standIn } from './rollout';
import { CallCounter } from './stand-ins';

const COMPUTE_ENVIRONMENTS = [1, 5, 20] as const;
const INSTANCES = [10, 1000] as const;
const REPEATS = 3;
const PAGE = 100;
const MAX_FLAT_RATIO = 1.5;
const ACCOUNT = '123456789012';
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bench/registries-AbCdEf`;
const CURRENT = 'c3d4e5f6-7890-12ab-cdef-BENCH0000003';
const OLD = 'b2c3d4e5-6789-01ab-cdef-BENCH0000002';

const PREFIX = 'batch-registry-gateway/bench/registry/';
/** Three registry credential secrets, already on AWSCURRENT's version (ListSecrets' shape). */
const CREDENTIAL_SECRETS = ['docker.io', 'ghcr.io', 'quay.io'].map((registry) => ({
  ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${PREFIX}${registry}-AbCdEf`,
  Name: `${PREFIX}${registry}`,
  Tags: [
    { Key: 'batch-registry-gateway:registry', Value: registry },
    { Key: 'batch-registry-gateway:source-version', Value: CURRENT },
  ],
}));

type Input = Record<string, unknown>;

function computeEnvironment(name: string): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: name,
    computeEnvironmentArn: `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/${name}`,
    ecsClusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}_Batch_0a1b2c3d`,
    type: 'MANAGED',
    state: 'ENABLED',
    status: 'VALID',
    computeResources: { type: 'EC2', maxvCpus: 256, subnets: ['subnet-0a1b2c3d4e5f60718'] },
  };
}

/** One page of `items` from an opaque `page-<offset>` token, as ECS pages. */
function page<T>(items: readonly T[], input: Input): { items: T[]; nextToken?: string } {
  const start = typeof input.nextToken === 'string' ? Number(input.nextToken.slice(5)) : 0;
  const size = typeof input.maxResults === 'number' ? input.maxResults : PAGE;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: `page-${end}` } : {}) };
}

interface Run {
  readonly wallMs: number;
  readonly calls: CallCounter;
  readonly report: FleetReport;
}

/**
 * One fleetReport over `ces` compute environments of `instances` each: 60 % on AWSCURRENT's
 * version, 30 % on the previous one, 10 % without the attribute (not converged: the steady state
 * after a rotation). `converged` puts every instance on AWSCURRENT instead (the one run that sends).
 */
async function runOnce(ces: number, instances: number, converged = false): Promise<Run> {
  const calls = new CallCounter();
  const names = Array.from({ length: ces }, (_, i) => `bench-ce-${i}`);
  const arns = (ce: string) =>
    Array.from(
      { length: instances },
      (_, i) => `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/${ce}_Batch_0a1b2c3d/${ce}-${i}`,
    );
  const fleet = new Map(names.map((name) => [`${computeEnvironment(name).ecsClusterArn}`, arns(name)]));
  const versionOf = (index: number) =>
    converged || index % 10 < 6 ? CURRENT : index % 10 < 9 ? OLD : undefined;
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  const batch = new BatchClient({ region: 'us-east-1' });
  const ecs = new ECSClient({ region: 'us-east-1' });
  const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
  const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
  standIn(secretsManager, 'secretsmanager', calls, SIMULATED_AWS_LATENCY_MS, (command) =>
    command === 'ListSecrets'
      ? { SecretList: CREDENTIAL_SECRETS }
      : { ARN: SECRET_ARN, VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'], [OLD]: ['AWSPREVIOUS'] } },
  );
  standIn(batch, 'batch', calls, SIMULATED_AWS_LATENCY_MS, () => ({
    computeEnvironments: names.map(computeEnvironment),
  }));
  standIn(ecs, 'ecs', calls, SIMULATED_AWS_LATENCY_MS, (command, input) => {
    const all = fleet.get(String(input.cluster)) ?? [];
    if (command === 'ListContainerInstances') {
      const listed = input.status === 'DRAINING' ? [] : all;
      const { items, nextToken } = page(listed, input);
      return { containerInstanceArns: items, nextToken };
    }
    const attributed = all.flatMap((arn, index) => {
      const value = versionOf(index);
      return value
        ? [{ name: SECRET_VERSION_ATTRIBUTE, value, targetType: 'container-instance', targetId: arn }]
        : [];
    });
    const { items, nextToken } = page(attributed, input);
    return { attributes: items, nextToken };
  });
  standIn(dynamodb, 'dynamodb', calls, SIMULATED_AWS_LATENCY_MS, () => ({}));
  standIn(eventBridge, 'events', calls, SIMULATED_AWS_LATENCY_MS, () => ({
    FailedEntryCount: 0,
    Entries: [{ EventId: 'bench' }],
  }));
  const started = performance.now();
  const report = await fleetReport(
    {
      secretsManager,
      batch,
      ecs,
      dynamodb,
      eventBridge,
      metrics: { publish: () => undefined },
      logger: { info: () => undefined },
      now: Date.now,
    },
    {
      registrySecretArn: SECRET_ARN,
      computeEnvironments: names,
      instanceCredentials: true,
      taskCredentials: true,
      registrySecretPrefix: PREFIX,
      eventBusName: 'default',
      convergenceTable: 'bench-convergence',
    },
  );
  return { wallMs: performance.now() - started, calls, report };
}

function breakdown(calls: CallCounter): string {
  return [...calls.snapshot()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation.split(':')[1]} ${count}`)
    .join(', ');
}

/** Section 6: AWS calls and wall time of fleetReport over 1, 5 and 20 compute environments. */
export async function fleetReportSection(): Promise<{ markdown: string; targets: TargetResult[] }> {
  const rows: string[][] = [];
  const targets: TargetResult[] = [];
  for (const instances of INSTANCES) {
    // Attribute pages and ACTIVE pages per compute environment; +1 per environment is the DRAINING listing.
    const pages = 2 * Math.ceil(instances / PAGE);
    let oneWallMs = Number.NaN;
    let worstCalls = true;
    for (const ces of COMPUTE_ENVIRONMENTS) {
      progress(`fleetReport over ${ces} compute environment(s) × ${instances} instances, ${REPEATS} runs`);
      const runs: Run[] = [];
      for (let repeat = 0; repeat < REPEATS; repeat += 1) runs.push(await runOnce(ces, instances));
      const first = runs[0];
      if (!first) throw new Error('no fleetReport run');
      const wallMs = median(runs.map((run) => run.wallMs));
      if (ces === 1) oneWallMs = wallMs;
      const limit = ces * (pages + 1) + 4;
      worstCalls &&= first.calls.total() <= limit;
      rows.push([
        String(ces),
        String(instances),
        `${first.report.current} / ${first.report.stale} / ${first.report.unknown}`,
        String(first.calls.total()),
        String(limit),
        breakdown(first.calls),
        ms(wallMs),
        ratio(wallMs / oneWallMs),
      ]);
      if (ces === 20) {
        targets.push({
          target: `fleetReport, 20 compute environments × ${instances} instances ≤ ${MAX_FLAT_RATIO}× the time of 1`,
          measured: preciseRatio(wallMs / oneWallMs),
          met: wallMs / oneWallMs <= MAX_FLAT_RATIO,
        });
      }
    }
    targets.push({
      target: `fleetReport AWS calls ≤ compute environments × (pages + 1) + 4, ${instances} instances each`,
      measured: worstCalls ? 'every size within' : 'exceeded',
      met: worstCalls,
    });
  }
  progress('fleetReport, the converging run (20 × 1000, all current)');
  const converging = await runOnce(20, 1000, true);
  const markdown = [
    '### 6. fleetReport over 1, 5 and 20 compute environments',
    '',
    '`fleetReport()` from lib/fleet, each AWS call answered by an in-process stand-in after',
    `${SIMULATED_AWS_LATENCY_MS} ms (SDK middleware, before serialisation). Per compute environment: 60 % of the`,
    'instances current, 30 % stale, 10 % unknown (so no announcement: the steady state after a rotation).',
    `"pages" = ListAttributes pages + ListContainerInstances (ACTIVE) pages of ${PAGE}; the +1 is the DRAINING`,
    `listing; the +4 are DescribeSecret, DescribeComputeEnvironments, ListSecrets (the registry credential`,
    `secrets, one page) and the conditional write. Wall time:`,
    `median of ${REPEATS} runs; "× 1 CE" compares with one compute environment of the same size.`,
    '',
    table(
      ['CEs', 'instances each', 'current / stale / unknown', 'AWS calls', 'limit', 'calls', 'wall', '× 1 CE'],
      rows,
    ),
    '',
    `The one converging run per secret version (20 × 1000, all current) makes ${converging.calls.total()} calls`,
    `(${breakdown(converging.calls)}), ${ms(converging.wallMs)}, announcement ${converging.report.announcement ?? 'none'}:`,
    `the claim, PutEvents and the mark on top of the counting, ${converging.calls.total() - (20 * (2 * Math.ceil(1000 / PAGE) + 1) + 4)} over the limit of`,
    `${20 * (2 * Math.ceil(1000 / PAGE) + 1) + 4} once; every later run of a converged fleet makes only the claim (refused), within it.`,
  ].join('\n');
  return { markdown, targets };
}
