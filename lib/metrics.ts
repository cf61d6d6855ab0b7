import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { HttpError } from './errors';
import { RegistryError } from './registry/client';
import { CredentialCheckError } from './rollout/credentials';

/** CloudWatch namespace of every metric of SPEC §12 (the alarms in serverless.yml read it). */
export const METRICS_NAMESPACE = 'BatchRegistryGateway';
/** The `service` dimension. */
export const METRICS_SERVICE = 'batch-registry-gateway';

/** The metrics of SPEC §12; all counts except RolloutDuration (milliseconds). */
export type MetricName =
  | 'JobsSubmitted'
  | 'JobsRejected'
  | 'RegistryCredentialsRejected'
  | 'RolloutsCompleted'
  | 'RolloutsFailed'
  | 'RolloutDuration'
  | 'InstancesCurrent'
  | 'InstancesStale'
  | 'InstancesUnknown';

export type MetricValues = Partial<Record<MetricName, number>>;

/** Where metric values go: one EMF document per `publish`. */
export interface MetricsSink {
  publish(values: MetricValues): void;
}

/**
 * Metrics in CloudWatch embedded metric format (Powertools Metrics), namespace
 * BatchRegistryGateway, with exactly the dimensions `service` and `stage`: no cold-start metric and
 * no function-name dimension, which would split the series the alarms watch. Each `publish` writes
 * its values as one EMF line to stdout at once, so no middleware has to flush them.
 */
export function createMetrics(stage: string): MetricsSink {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRICS_SERVICE,
    defaultDimensions: { stage },
  });
  return {
    publish(values) {
      const entries = Object.entries(values).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      for (const [name, value] of entries) {
        const unit = name === 'RolloutDuration' ? MetricUnit.Milliseconds : MetricUnit.Count;
        metrics.addMetric(name, unit, value ?? 0);
      }
      metrics.publishStoredMetrics();
    },
  };
}

/**
 * Counts one `POST /jobs`: JobsSubmitted when it answers 202, JobsRejected for a 4xx, and
 * RegistryCredentialsRejected when the image's registry refused the stored credentials. Rethrows.
 */
export async function countSubmission<T>(sink: MetricsSink, submit: () => Promise<T>): Promise<T> {
  try {
    const result = await submit();
    sink.publish({ JobsSubmitted: 1 });
    return result;
  } catch (error) {
    const status = error instanceof HttpError ? error.statusCode : 500;
    const refused =
      error instanceof Error && error.cause instanceof RegistryError && error.cause.kind === 'unauthorized';
    sink.publish({
      ...(status < 500 ? { JobsRejected: 1 } : {}),
      ...(refused ? { RegistryCredentialsRejected: 1 } : {}),
    });
    throw error;
  }
}

/**
 * Measures one rollout: RolloutsCompleted or RolloutsFailed, RolloutDuration, and
 * RegistryCredentialsRejected for every registry that answered 401 or 403 to the new credentials.
 * Rethrows.
 */
export async function measureRollout<T>(
  sink: MetricsSink,
  run: () => Promise<T>,
  now: () => number = Date.now,
): Promise<T> {
  const started = now();
  try {
    const result = await run();
    sink.publish({ RolloutsCompleted: 1, RolloutDuration: now() - started });
    return result;
  } catch (error) {
    const refused =
      error instanceof CredentialCheckError
        ? error.failures.filter((failure) => failure.status === 401 || failure.status === 403).length
        : 0;
    sink.publish({
      RolloutsFailed: 1,
      RolloutDuration: now() - started,
      ...(refused > 0 ? { RegistryCredentialsRejected: refused } : {}),
    });
    throw error;
  }
}
