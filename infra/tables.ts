import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../lib/store/config.ts';
import { INDEXES, OVERVIEW_INDEX, type IndexName } from '../lib/domain/keys.ts';

/**
 * The service's tables, as CreateTable inputs for the local engines and tests. Attribute names here are the ones
 * lib/domain/keys.ts builds; serverless.yml declares the same tables for AWS.
 */
export type TableNames = { deployments: string; feeds: string; apiKeys: string; idempotency: string; webhooks?: string };

export const tableNamesFromEnv = (env: NodeJS.ProcessEnv = process.env): TableNames => {
  const c = loadConfig(env);
  return { deployments: c.deploymentsTable, feeds: c.feedsTable, apiKeys: c.apiKeysTable, idempotency: c.idempotencyTable, webhooks: c.webhooksTable };
};

/**
 * A deployed stage's table names, as serverless.yml names them (custom.tables: service and stage, fixed so that
 * every region's stack and the admin CLI find them; a unit test compares them with the packaged template).
 */
export const SERVICE = 'package-deployment-api';
export const stageTableNames = (stage: string): TableNames => ({
  deployments: `${SERVICE}-${stage}-deployments`,
  feeds: `${SERVICE}-${stage}-feeds`,
  apiKeys: `${SERVICE}-${stage}-api-keys`,
  idempotency: `${SERVICE}-${stage}-idempotency`,
  webhooks: `${SERVICE}-${stage}-webhooks`,
});

/** The deployments table's indexes: each keyed by its own attribute, sorted by the record's sort key `sk`. */
const index = (name: IndexName) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: INDEXES[name], KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

export const tableDefinitions = (names: TableNames): CreateTableCommandInput[] => [
  {
    TableName: names.deployments,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      ...Object.values(INDEXES).map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      { AttributeName: OVERVIEW_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: OVERVIEW_INDEX.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      ...(Object.keys(INDEXES) as IndexName[]).map(index),
      // Current items only (history records lack its keys): a feed's packages and their targets, for the overview.
      {
        IndexName: OVERVIEW_INDEX.name,
        KeySchema: [
          { AttributeName: OVERVIEW_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: OVERVIEW_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    // The event dispatcher reads the table's changes (DynamoDB Local has streams; dynalite ignores this and its
    // transactions publish them instead, see infra/local/events.ts).
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
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
  {
    // Idempotency-Key records; on AWS they expire through TTL on `expiresAt` (epoch seconds), see serverless.yml.
    TableName: names.idempotency,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  },
  // Webhooks (lib/store/webhooks.ts): a feed's webhooks are one partition. Optional in TableNames, so that callers
  // that never deliver events (tests of the record path) need not name it.
  ...(names.webhooks
    ? [
        {
          TableName: names.webhooks,
          BillingMode: 'PAY_PER_REQUEST' as const,
          AttributeDefinitions: [
            { AttributeName: 'feed', AttributeType: 'S' as const },
            { AttributeName: 'id', AttributeType: 'S' as const },
          ],
          KeySchema: [
            { AttributeName: 'feed', KeyType: 'HASH' as const },
            { AttributeName: 'id', KeyType: 'RANGE' as const },
          ],
        },
      ]
    : []),
];
