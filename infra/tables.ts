import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../lib/store/config.ts';
import { keyAttributes, TABLES, type KeyDeclaration, type TableDeclaration, type TableKey } from '../lib/store/tables.ts';

/**
 * The service's tables, made from their one declaration (lib/store/tables.ts, TABLES): CreateTable inputs for the
 * local engines and tests (tableDefinitions), and the CloudFormation resources of a deployed stage
 * (cloudFormationTables, which serverless.yml takes through infra/stage.cjs's `tables` when it is packaged).
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

const keySchema = (key: KeyDeclaration) => [
  { AttributeName: key.partition, KeyType: 'HASH' as const },
  ...(key.sort !== undefined ? [{ AttributeName: key.sort, KeyType: 'RANGE' as const }] : []),
];

const attributeDefinitions = (table: TableDeclaration) => keyAttributes(table).map(({ name, type }) => ({ AttributeName: name, AttributeType: type }));

/** Each index keyed as declared, projecting every attribute. */
const globalSecondaryIndexes = (table: TableDeclaration) =>
  Object.entries(table.indexes ?? {}).map(([IndexName, key]) => ({ IndexName, KeySchema: keySchema(key), Projection: { ProjectionType: 'ALL' as const } }));

/** The tables in declaration order, with the name each has here (a table without a name is left out). */
const named = (names: Partial<Record<TableKey, string>>) =>
  (Object.keys(TABLES) as TableKey[]).flatMap((key) => {
    const name = names[key];
    return name === undefined ? [] : [{ key, name, table: TABLES[key] as TableDeclaration }];
  });

/**
 * CreateTable inputs for the local engines. A table's TTL is not set here (the local engines keep expired
 * items: the record transaction takes an Idempotency-Key claim past its `expiresAt` as free, and the history reads
 * leave out a record past its `expiresAt`, as on AWS before TTL deletes it); a stream is set where the service reads
 * one (DynamoDB Local has streams; dynalite ignores this and its transactions publish the changes instead, see
 * infra/local/events.ts). webhooks is optional in TableNames, so that callers that never deliver events (tests of the
 * record path) need not name it.
 */
export const tableDefinitions = (names: TableNames): CreateTableCommandInput[] =>
  named(names).map(({ name, table }) => ({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions(table),
    KeySchema: keySchema(table.key),
    ...(table.indexes !== undefined ? { GlobalSecondaryIndexes: globalSecondaryIndexes(table) } : {}),
    ...(table.stream === true ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
  }));

/** A table's logical id in the template: DeploymentsTable, FeedsTable, ApiKeysTable, ... */
export const tableLogicalId = (key: TableKey): string => `${key[0]!.toUpperCase()}${key.slice(1)}Table`;

export type StageTables = {
  /** Every table's name (serverless.yml's custom.tables). */
  names: Required<TableNames>;
  /** The first of the stage's regions, whose stack creates the tables. */
  primaryRegion: string;
  deletionProtected: boolean;
  /** One replica per region (infra/stage.cjs replicaSpecs: PITR, deletion protection by condition, tags). */
  replicas: unknown[];
};

/**
 * The tables' part of the CloudFormation template (Conditions, Resources, Outputs), for serverless.yml's `resources`.
 *
 * Always AWS::DynamoDB::GlobalTable, even for one region: a global table with one replica costs what a table costs,
 * and adding a region later is a change to its replicas, not a migration. Only the primary region's stack (the
 * first of the `regions` parameter) creates them, with a replica in every listed region; the other regions' stacks
 * use the replica in their own region by name (see custom.tables in serverless.yml). Every table has a stream
 * (NEW_AND_OLD_IMAGES): a global table requires one once it has more than one replica, and it can be changed only
 * while there is one, so it is always set.
 *
 * TablesReady is what the functions wait for (DependsOn) before they can be invoked: the tables, where this stack
 * creates them. A DependsOn cannot name a resource whose condition may be false, so the functions name this handle,
 * which refers to the tables only in the primary region (elsewhere the replicas exist before the stack is deployed).
 */
export const cloudFormationTables = ({ names, primaryRegion, deletionProtected, replicas }: StageTables) => {
  const tables = named(names);
  return {
    // cfn-lint (npm run check:templates), for the whole template: W8003 (an Fn::Equals whose result is known) is
    // expected, since serverless.yml's parameters are resolved when packaging: DeletionProtected here and events.yml's
    // HasDeploymentsStream compare a stage's values, constant in its packaged template, so one source serves every stage.
    Metadata: { 'cfn-lint': { config: { ignore_checks: ['W8003'] } } },
    Conditions: {
      IsPrimaryRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, primaryRegion] },
      DeletionProtected: { 'Fn::Equals': [String(deletionProtected), 'true'] },
    },
    Resources: {
      TablesReady: {
        Type: 'AWS::CloudFormation::WaitConditionHandle',
        Metadata: {
          Tables: { 'Fn::If': ['IsPrimaryRegion', tables.map(({ key }) => ({ Ref: tableLogicalId(key) })), { Ref: 'AWS::NoValue' }] },
        },
      },
      ...Object.fromEntries(
        tables.map(({ key, name, table }) => [
          tableLogicalId(key),
          {
            Type: 'AWS::DynamoDB::GlobalTable',
            Condition: 'IsPrimaryRegion',
            Properties: {
              TableName: name,
              BillingMode: 'PAY_PER_REQUEST',
              StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
              AttributeDefinitions: attributeDefinitions(table),
              KeySchema: keySchema(table.key),
              ...(table.indexes !== undefined ? { GlobalSecondaryIndexes: globalSecondaryIndexes(table) } : {}),
              ...(table.ttl !== undefined ? { TimeToLiveSpecification: { AttributeName: table.ttl, Enabled: true } } : {}),
              Replicas: replicas,
            },
          },
        ]),
      ),
    },
    Outputs: Object.fromEntries(tables.map(({ key, name }) => [`${tableLogicalId(key)}Name`, { Value: name }])),
  };
};
