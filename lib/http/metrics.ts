import { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of the service's metrics (`POWERTOOLS_METRICS_NAMESPACE` overrides it). */
const METRICS_NAMESPACE = 'PackageDeploymentApi';

/**
 * One Metrics buffer per function, written as CloudWatch Embedded Metric Format (one JSON line on stdout per
 * invocation, flushed by Powertools' logMetrics middleware). Every metric carries the dimensions `service` and
 * `function` (the function's name in this repository, e.g. `record-deployment`, the same in every stage and region).
 * `POWERTOOLS_METRICS_DISABLED=true` turns the output off (the test suites do, but for the test that reads it).
 */
export const createMetrics = (functionName: string): Metrics =>
  new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'package-deployment-api',
    defaultDimensions: { function: functionName },
  });

/**
 * The outcome of an answer, as a metric name: what happened for a 200, the kind of refusal otherwise. A 200 of the
 * record function is `Recorded`, or `Replayed` when an Idempotency-Key returned an earlier record.
 */
export const outcomeOf = (status: number, headers: Record<string, string> = {}, ok = 'Recorded'): string => {
  if (status === 200) return headers['Idempotent-Replayed'] === 'true' ? 'Replayed' : ok;
  return (
    (
      {
        400: 'BadRequest',
        403: 'Forbidden',
        404: 'NotFound',
        405: 'MethodNotAllowed',
        409: 'Conflict',
        413: 'TooLarge',
        415: 'UnsupportedMediaType',
        422: 'Unprocessable',
        429: 'Throttled',
        500: 'Failed',
        503: 'Unavailable',
      } as Record<number, string>
    )[status] ?? `Status${status}`
  );
};
