import { HttpError } from '../../lib/errors';

// This suite reads the EMF lines that test/helpers/setup.ts turns off.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

import { countSubmission, createMetrics, type MetricValues, measureRollout } from '../../lib/metrics';
import { RegistryError } from '../../lib/registry/client';
import { CredentialCheckError } from '../../lib/rollout/credentials';

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** The EMF documents written to stdout while `act` runs. */
function emfLines(act: () => void): Emf[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

function recorder(): { sink: { publish(values: MetricValues): void }; published: MetricValues[] } {
  const published: MetricValues[] = [];
  return { sink: { publish: (values) => published.push(values) }, published };
}

describe('createMetrics', () => {
  it('writes one EMF document in namespace BatchRegistryGateway with exactly the dimensions service and stage', () => {
    const metrics = createMetrics('prod');

    const [document, ...rest] = emfLines(() =>
      metrics.publish({ InstancesCurrent: 7, InstancesStale: 0, InstancesUnknown: 2 }),
    );

    expect(rest).toEqual([]);
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'BatchRegistryGateway',
        Dimensions: [['service', 'stage']],
        Metrics: [
          { Name: 'InstancesCurrent', Unit: 'Count' },
          { Name: 'InstancesStale', Unit: 'Count' },
          { Name: 'InstancesUnknown', Unit: 'Count' },
        ],
      },
    ]);
    expect(document).toMatchObject({
      service: 'batch-registry-gateway',
      stage: 'prod',
      InstancesCurrent: 7,
      InstancesStale: 0,
      InstancesUnknown: 2,
    });
    expect(Object.keys(document ?? {}).sort()).toEqual(
      ['_aws', 'service', 'stage', 'InstancesCurrent', 'InstancesStale', 'InstancesUnknown'].sort(),
    );
  });

  it('publishes RolloutDuration in milliseconds and writes nothing for no values', () => {
    const metrics = createMetrics('dev');

    const documents = emfLines(() => {
      metrics.publish({ RolloutsCompleted: 1, RolloutDuration: 1234 });
      metrics.publish({});
    });

    expect(documents).toHaveLength(1);
    expect(documents[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'RolloutsCompleted', Unit: 'Count' },
      { Name: 'RolloutDuration', Unit: 'Milliseconds' },
    ]);
  });
});

describe('countSubmission', () => {
  it('counts JobsSubmitted when the job is submitted', async () => {
    const { sink, published } = recorder();

    await expect(countSubmission(sink, async () => 'job-1')).resolves.toBe('job-1');

    expect(published).toEqual([{ JobsSubmitted: 1 }]);
  });

  it.each([
    [400, new HttpError(400, 'Bad Request', 'bad')],
    [403, new HttpError(403, 'Forbidden', 'not allowed')],
    [429, new HttpError(429, 'Too Many Requests', 'slow down')],
  ])('counts JobsRejected for a %i', async (_status, error) => {
    const { sink, published } = recorder();

    await expect(countSubmission(sink, async () => Promise.reject(error))).rejects.toBe(error);

    expect(published).toEqual([{ JobsRejected: 1 }]);
  });

  it('counts RegistryCredentialsRejected, not JobsRejected, when the registry refuses the stored credentials', async () => {
    const { sink, published } = recorder();
    const refused = new HttpError(502, 'Bad Gateway', 'rejected', {
      cause: new RegistryError('unauthorized', 'ghcr.io', 401, 'ghcr.io answered 401'),
    });

    await expect(countSubmission(sink, async () => Promise.reject(refused))).rejects.toBe(refused);

    expect(published).toEqual([{ RegistryCredentialsRejected: 1 }]);
  });
});

describe('measureRollout', () => {
  it('counts a completed rollout with its duration', async () => {
    const { sink, published } = recorder();
    const clock = [1000, 4500];

    await measureRollout(
      sink,
      async () => 'done',
      () => clock.shift() ?? 0,
    );

    expect(published).toEqual([{ RolloutsCompleted: 1, RolloutDuration: 3500 }]);
  });

  it('counts a failed rollout, and each registry that refused the new credentials', async () => {
    const { sink, published } = recorder();
    const clock = [1000, 1200];
    const error = new CredentialCheckError([
      { registry: 'ghcr.io', status: 401, reason: 'unauthorized' },
      { registry: 'quay.io', status: 403, reason: 'unauthorized' },
      { registry: 'registry.example.com', status: undefined, reason: 'unreachable' },
    ]);

    await expect(
      measureRollout(
        sink,
        async () => Promise.reject(error),
        () => clock.shift() ?? 0,
      ),
    ).rejects.toBe(error);

    expect(published).toEqual([{ RolloutsFailed: 1, RolloutDuration: 200, RegistryCredentialsRejected: 2 }]);
  });
});
