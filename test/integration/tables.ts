import type { TableNames } from '../../infra/tables.ts';

export const TEST_TABLES: TableNames = {
  deployments: 'it-deployments',
  feeds: 'it-feeds',
  apiKeys: 'it-api-keys',
  idempotency: 'it-idempotency',
  webhooks: 'it-webhooks',
};
