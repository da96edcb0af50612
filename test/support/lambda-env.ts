import type { TableNames } from '../../infra/tables.ts';

/** The table names serverless.yml gives each function. */
export const tableEnvironment = (tables: TableNames): Record<string, string> => ({
  DEPLOYMENTS_TABLE: tables.deployments,
  FEEDS_TABLE: tables.feeds,
  API_KEYS_TABLE: tables.apiKeys,
  IDEMPOTENCY_TABLE: tables.idempotency,
  ...(tables.webhooks !== undefined ? { WEBHOOKS_TABLE: tables.webhooks } : {}),
});

/**
 * The environment Lambda gives a function (region, credentials) and the one serverless.yml sets (table names),
 * pointed at a local DynamoDB when an endpoint is given.
 */
export const lambdaEnvironment = (tables: TableNames, endpoint?: string): Record<string, string> => ({
  ...(endpoint !== undefined ? { AWS_ENDPOINT_URL_DYNAMODB: endpoint } : {}),
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  ...tableEnvironment(tables),
});
