import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../lib/config.ts';

/**
 * The service's tables, as CreateTable inputs for the local engines and tests. Attribute names here are the ones
 * lib/keys.ts builds; serverless.yml declares the same tables for AWS.
 */
export type TableNames = { deployments: string; feeds: string; apiKeys: string };

export const tableNamesFromEnv = (env: NodeJS.ProcessEnv = process.env): TableNames => {
  const c = loadConfig(env);
  return { deployments: c.deploymentsTable, feeds: c.feedsTable, apiKeys: c.apiKeysTable };
};

export const tableDefinitions = (names: TableNames): CreateTableCommandInput[] => [
  {
    TableName: names.deployments,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  },
  {
    TableName: names.feeds,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
  },
  {
    TableName: names.apiKeys,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'keyHash', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
  },
];
