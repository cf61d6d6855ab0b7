// Section 1: per function, the zipped size of what `serverless package` builds, and the cold
// module-load time of its bundle against a bundle that only constructs the same SDK clients.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { requireCommand } from '../scripts/servers/processes';
import { kib, median, metOrNot, ms, preciseRatio, progress, ratio, type TargetResult, table } from './report';

/** Fresh node processes per bundle (the brief asks for at least 15). */
export const COLD_RUNS = 31;
/** 500 KB, decimal: the stricter reading of the target. */
export const MAX_ZIP_BYTES = 500_000;
export const MAX_COLD_RATIO = 1.3;

type SdkClient = 'batch' | 'ec2' | 'secretsManager' | 'logs' | 'ecs' | 'dynamodb' | 'eventBridge';

const SDK: Record<
  SdkClient,
  { readonly module: string; readonly className: string; readonly label: string }
> = {
  batch: { module: '@aws-sdk/client-batch', className: 'BatchClient', label: 'Batch' },
  ec2: { module: '@aws-sdk/client-ec2', className: 'EC2Client', label: 'EC2' },
  secretsManager: {
    module: '@aws-sdk/client-secrets-manager',
    className: 'SecretsManagerClient',
    label: 'Secrets Manager',
  },
  logs: {
    module: '@aws-sdk/client-cloudwatch-logs',
    className: 'CloudWatchLogsClient',
    label: 'CloudWatch Logs',
  },
  ecs: { module: '@aws-sdk/client-ecs', className: 'ECSClient', label: 'ECS' },
  dynamodb: { module: '@aws-sdk/client-dynamodb', className: 'DynamoDBClient', label: 'DynamoDB' },
  eventBridge: {
    module: '@aws-sdk/client-eventbridge',
    className: 'EventBridgeClient',
    label: 'EventBridge',
  },
};

/**
 * The SDK clients each function constructs, read from its handler and what it calls in lib/: the
 * rollout (rotation, events) uses all three; the gateway functions only what they call (submitJob
 * keeps Idempotency-Key records in DynamoDB).
 */
const CLIENTS_OF: Record<string, readonly SdkClient[]> = {
  rotateSecret: ['secretsManager', 'ec2', 'batch'],
  onSecretChanged: ['secretsManager', 'ec2', 'batch'],
  submitJob: ['secretsManager', 'batch', 'dynamodb'],
  getJob: ['batch'],
  cancelJob: ['batch'],
  listRegistries: ['secretsManager'],
  getJobLogs: ['batch', 'logs'],
  fleetReport: ['secretsManager', 'batch', 'ecs', 'dynamodb', 'eventBridge'],
};

/** What loadConfig needs at module scope, as dummy values; nothing is called at load. */
const LOAD_ENV: Record<string, string> = {
  REGISTRY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
  LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
  COMPUTE_ENVIRONMENTS: 'bench-ce',
  JOB_QUEUE: 'bench-queue',
  CONVERGENCE_TABLE: 'bench-convergence',
  EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/bench-execution',
  AWS_REGION: 'us-east-1',
};

/**
 * Times one require() of argv[1] inside the child: wall-clock and CPU (user + system, all
 * threads) milliseconds. CPU time is less sensitive to other load on the machine.
 */
const LOADER =
  'const c=process.cpuUsage(),t=process.hrtime.bigint();require(process.argv[1]);' +
  'const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);' +
  'process.stdout.write(JSON.stringify([w,(u.user+u.system)/1e3]))';

interface FunctionBundle {
  readonly name: string;
  readonly zipBytes: number;
  readonly bundleBytes: number;
  readonly bundleFile: string;
  readonly clients: readonly SdkClient[];
  /** Clients whose class name the bundle holds but the table does not list, or the reverse. */
  readonly clientMismatch: string | undefined;
}

interface Measured extends FunctionBundle {
  /** The median of the per-run ratios load / baseline (each pair ran back to back): the target. */
  readonly pairedRatio: number;
  readonly loadMs: number;
  readonly baselineMs: number;
  readonly loadCpuMs: number;
  readonly baselineCpuMs: number;
  readonly baselineBytes: number;
}

/** Runs `serverless package` into `dir`, extracts each function's bundle and reads its size. */
function packageFunctions(root: string, dir: string): FunctionBundle[] {
  requireCommand('unzip', 'apt-get install -y unzip');
  const packageDir = join(dir, 'package');
  progress('serverless package (about 15 s)');
  const packaged = spawnSync('npx', ['serverless', 'package', '--package', packageDir], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, BRG_ESBUILD_WORK_FOLDER: '.esbuild-bench' },
  });
  if (packaged.status !== 0) {
    throw new Error(
      `serverless package failed (${packaged.status}):\n${packaged.stdout}\n${packaged.stderr}`,
    );
  }
  const state = JSON.parse(readFileSync(join(packageDir, 'serverless-state.json'), 'utf8')) as {
    service: { functions: Record<string, { handler: string; package?: { artifact?: string } }> };
  };
  return Object.entries(state.service.functions).map(([name, fn]) => {
    const zip = join(packageDir, basename(fn.package?.artifact ?? `${name}.zip`));
    const extracted = join(dir, 'extracted', name);
    mkdirSync(extracted, { recursive: true });
    const unzip = spawnSync('unzip', ['-q', '-o', zip, '-d', extracted], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr}`);
    // `handlers/submit-job.handler` → handlers/submit-job.js
    const bundleFile = join(extracted, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`);
    const clients = CLIENTS_OF[name];
    if (!clients) throw new Error(`bench/cold-start.ts does not know the SDK clients of function ${name}`);
    const text = readFileSync(bundleFile, 'utf8');
    const found = (Object.keys(SDK) as SdkClient[]).filter((client) =>
      text.includes(`"${SDK[client].className}"`),
    );
    const extra = found.filter((client) => !clients.includes(client));
    const missing = clients.filter((client) => !found.includes(client));
    return {
      name,
      zipBytes: statSync(zip).size,
      bundleBytes: statSync(bundleFile).size,
      bundleFile,
      clients,
      clientMismatch:
        extra.length + missing.length === 0
          ? undefined
          : `bundle also holds [${extra.join(', ')}], lacks [${missing.join(', ')}]`,
    };
  });
}

/** Bundles JavaScript `contents` (resolved from `root`) with serverless.yml's esbuild settings. */
export async function buildLikeFunctions(root: string, contents: string, outfile: string): Promise<string> {
  await build({
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: 'baseline.js' },
    bundle: true,
    minify: true,
    keepNames: true,
    sourcemap: false,
    target: 'node24',
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    loader: { '.sh': 'text', '.yaml': 'text' },
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** A bundle that only constructs these SDK clients. */
function buildBaseline(root: string, dir: string, clients: readonly SdkClient[]): Promise<string> {
  const contents = clients
    .map(
      (client) =>
        `import { ${SDK[client].className} } from '${SDK[client].module}';\n` +
        `export const ${client} = new ${SDK[client].className}({});`,
    )
    .join('\n');
  return buildLikeFunctions(root, contents, join(dir, 'baselines', `${[...clients].sort().join('+')}.js`));
}

interface LoadTime {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function loadOnce(file: string): LoadTime {
  const run = spawnSync(process.execPath, ['-e', LOADER, file], {
    // No inherited NODE_OPTIONS or compile cache: every run is a cold process.
    env: { PATH: process.env.PATH ?? '', ...LOAD_ENV },
    encoding: 'utf8',
    timeout: 30_000,
  });
  let times: unknown;
  try {
    times = JSON.parse(run.stdout);
  } catch {
    times = undefined;
  }
  if (run.status !== 0 || !Array.isArray(times) || times.length !== 2) {
    throw new Error(`loading ${file} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  }
  return { wallMs: Number(times[0]), cpuMs: Number(times[1]) };
}

export interface ColdStartSection {
  readonly markdown: string;
  readonly targets: readonly TargetResult[];
  /** Each function's extracted bundle, by function name. */
  readonly bundles: ReadonlyMap<string, string>;
}

/** Section 1, from one `serverless package` run. */
export async function coldStartSection(root: string, dir: string): Promise<ColdStartSection> {
  const functions = packageFunctions(root, dir);
  const baselines = new Map<string, string>();
  const measured: Measured[] = [];
  for (const fn of functions) {
    const key = [...fn.clients].sort().join('+');
    let baseline = baselines.get(key);
    if (baseline === undefined) {
      baseline = await buildBaseline(root, dir, fn.clients);
      baselines.set(key, baseline);
    }
    progress(`cold load of ${fn.name}: ${COLD_RUNS} fresh processes each for it and its baseline`);
    const load: LoadTime[] = [];
    const base: LoadTime[] = [];
    // Interleaved, so drift in machine load hits both sides alike.
    for (let run = 0; run < COLD_RUNS; run += 1) {
      load.push(loadOnce(fn.bundleFile));
      base.push(loadOnce(baseline));
    }
    measured.push({
      ...fn,
      pairedRatio: median(load.map((time, run) => time.wallMs / (base[run]?.wallMs ?? Number.NaN))),
      loadMs: median(load.map((time) => time.wallMs)),
      baselineMs: median(base.map((time) => time.wallMs)),
      loadCpuMs: median(load.map((time) => time.cpuMs)),
      baselineCpuMs: median(base.map((time) => time.cpuMs)),
      baselineBytes: statSync(baseline).size,
    });
  }

  const rows = measured.map((fn) => [
    fn.name,
    kib(fn.zipBytes),
    kib(fn.bundleBytes),
    fn.clients.map((client) => SDK[client].label).join(' + '),
    kib(fn.baselineBytes),
    ms(fn.loadMs),
    ms(fn.baselineMs),
    ratio(fn.loadMs / fn.baselineMs),
    ratio(fn.pairedRatio),
    `${ms(fn.loadCpuMs)} / ${ms(fn.baselineCpuMs)}`,
    ratio(fn.loadCpuMs / fn.baselineCpuMs),
  ]);
  const notes = measured
    .filter((fn) => fn.clientMismatch !== undefined)
    .map((fn) => `- note: ${fn.name}: ${fn.clientMismatch}`);
  const markdown = [
    '### 1. Functions: package size and cold module load',
    '',
    `\`serverless package\` output; load = median wall-clock \`require()\` time of the extracted bundle over`,
    `${COLD_RUNS} fresh node processes, interleaved with a baseline bundle (same esbuild settings) that only`,
    'constructs the same SDK clients. The target uses the paired ratio: the median over the runs of',
    'load / baseline, each pair run back to back, so a burst of machine load that spans a few runs moves',
    'a few pairs, not the median of one side. CPU = user + system time of the same require() calls.',
    '',
    table(
      [
        'function',
        'zipped',
        'bundle',
        'SDK clients',
        'baseline bundle',
        'load p50',
        'baseline p50',
        'ratio of p50s',
        'paired ratio',
        'CPU load / baseline',
        'CPU ratio',
      ],
      rows,
    ),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');

  const largest = measured.reduce((a, b) => (b.zipBytes > a.zipBytes ? b : a));
  const worst = measured.reduce((a, b) => (b.pairedRatio > a.pairedRatio ? b : a));
  const targets: TargetResult[] = [
    {
      target: `largest zipped function ≤ 500 KB (${MAX_ZIP_BYTES.toLocaleString('en')} bytes)`,
      measured: `${largest.name}: ${largest.zipBytes.toLocaleString('en')} bytes (${kib(largest.zipBytes)})`,
      met: largest.zipBytes <= MAX_ZIP_BYTES,
    },
    ...measured.map((fn) => ({
      target: `${fn.name}: cold load ≤ ${ratio(MAX_COLD_RATIO)} baseline`,
      measured: `paired ${preciseRatio(fn.pairedRatio)} (p50s ${ms(fn.loadMs)} / ${ms(fn.baselineMs)})`,
      met: fn.pairedRatio <= MAX_COLD_RATIO,
    })),
  ];
  progress(`worst cold-load ratio: ${worst.name} ${metOrNot(worst.pairedRatio <= MAX_COLD_RATIO)}`);
  return { markdown, targets, bundles: new Map(functions.map((fn) => [fn.name, fn.bundleFile])) };
}
