import { createRequire } from 'node:module';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloudFormationTables, stageTableNames, tableDefinitions, tableLogicalId } from '../../infra/tables.ts';
import { INDEXES, OVERVIEW_INDEX } from '../../lib/domain/keys.ts';
import { keyAttributes, TABLES, type TableKey } from '../../lib/store/tables.ts';

/**
 * lib/store/tables.ts declares each table once; infra/tables.ts makes the local CreateTable inputs and the
 * CloudFormation resources from it (test/unit/deploy-templates.test.ts checks the packaged template itself).
 */
beforeEach(() => {
  expect.hasAssertions();
});

const names = stageTableNames('dev') as Required<ReturnType<typeof stageTableNames>>;
const fragment = cloudFormationTables({ names, primaryRegion: 'eu-west-1', deletionProtected: true, replicas: [{ Region: 'eu-west-1' }] });
type GlobalTable = { Type: string; Condition: string; Properties: Record<string, unknown> };
const resource = (key: TableKey) => (fragment.Resources as unknown as Record<string, GlobalTable>)[tableLogicalId(key)]!;

describe('the table declaration', () => {
  it("keys the deployments table's indexes by the attributes lib/domain/keys.ts builds, sorted by sk", () => {
    const { indexes } = TABLES.deployments;
    for (const [name, attribute] of Object.entries(INDEXES)) expect(indexes[name as keyof typeof INDEXES]).toEqual({ partition: attribute, sort: 'sk' });
    expect(indexes[OVERVIEW_INDEX.name]).toEqual({ partition: OVERVIEW_INDEX.partitionKey, sort: OVERVIEW_INDEX.sortKey });
  });

  it('gives every key attribute a type, each once, and refuses a declaration that leaves one untyped', () => {
    expect(keyAttributes(TABLES.deployments).map((a) => a.name)).toEqual(['pk', 'sk', 'feedPk', 'targetPk', 'versionPk', 'overviewPk', 'overviewSk']);
    expect(() => keyAttributes({ key: { partition: 'id' }, attributes: {}, indexes: {} })).toThrow(/key attribute id has no type/);
    expect(() => keyAttributes({ key: { partition: 'id' }, attributes: { id: 'S' }, indexes: { byX: { partition: 'x' } } })).toThrow(/key attribute x/);
  });
});

describe('local CreateTable inputs and CloudFormation resources, from the one declaration', () => {
  it('have the same keys, attribute definitions and indexes for every table', () => {
    const local = tableDefinitions(names);
    expect(local.map((d) => d.TableName)).toEqual(Object.keys(TABLES).map((key) => names[key as TableKey]));
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const def = local.find((d) => d.TableName === names[key])!;
      const { Properties: p } = resource(key);
      expect(p.TableName).toBe(def.TableName);
      expect(p.BillingMode).toBe(def.BillingMode);
      expect(p.AttributeDefinitions).toEqual(def.AttributeDefinitions);
      expect(p.KeySchema).toEqual(def.KeySchema);
      expect(p.GlobalSecondaryIndexes).toEqual(def.GlobalSecondaryIndexes);
    }
  });

  it('leave the webhooks table out locally when it is not named', () => {
    const { webhooks: _webhooks, ...withoutWebhooks } = names;
    expect(tableDefinitions(withoutWebhooks).map((d) => d.TableName)).toEqual([names.deployments, names.feeds, names.apiKeys, names.idempotency]);
  });

  it('stream the deployments table locally (the dispatcher reads it), every global table on AWS; TTL on idempotency and deployments (retention)', () => {
    for (const def of tableDefinitions(names)) {
      expect(def.StreamSpecification).toEqual(def.TableName === names.deployments ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined);
    }
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const table = resource(key);
      expect(table).toMatchObject({ Type: 'AWS::DynamoDB::GlobalTable', Condition: 'IsPrimaryRegion' });
      expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(table.Properties.TimeToLiveSpecification).toEqual(
        key === 'idempotency' || key === 'deployments' ? { AttributeName: 'expiresAt', Enabled: true } : undefined,
      );
      expect(table.Properties.Replicas).toEqual([{ Region: 'eu-west-1' }]);
    }
  });

  it("states the stage's conditions, waits for every table and outputs each name", () => {
    expect(fragment.Conditions).toEqual({
      IsPrimaryRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
      DeletionProtected: { 'Fn::Equals': ['true', 'true'] },
    });
    expect(fragment.Resources.TablesReady.Metadata.Tables['Fn::If'][1]).toEqual(
      ['DeploymentsTable', 'FeedsTable', 'ApiKeysTable', 'IdempotencyTable', 'WebhooksTable'].map((Ref) => ({ Ref })),
    );
    expect(fragment.Outputs).toEqual({
      DeploymentsTableName: { Value: names.deployments },
      FeedsTableName: { Value: names.feeds },
      ApiKeysTableName: { Value: names.apiKeys },
      IdempotencyTableName: { Value: names.idempotency },
      WebhooksTableName: { Value: names.webhooks },
    });
  });
});

describe("infra/stage.cjs's tables resolver (serverless.yml's resources)", () => {
  type Resolver = (input: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<ReturnType<typeof cloudFormationTables>>;
  const { tables } = createRequire(import.meta.url)('../../infra/stage.cjs') as { tables: Resolver };

  it("takes the names from custom.tables, the primary region from regions, deletion protection from the stage's name", async () => {
    const custom = stageTableNames('prod-eu');
    const variables: Record<string, unknown> = {
      'param:regions': 'eu-west-1,us-east-1',
      'param:deletionProtection': 'auto',
      'self:provider.region': 'us-east-1',
      'sls:stage': 'prod-eu',
      'self:custom.tables': custom,
    };
    const made = await tables({ resolveVariable: async (v) => variables[v] });
    expect(made.Conditions.IsPrimaryRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] });
    expect(made.Conditions.DeletionProtected).toEqual({ 'Fn::Equals': ['true', 'true'] });
    const deployments = (made.Resources as unknown as Record<string, GlobalTable>).DeploymentsTable!;
    expect(deployments.Properties.TableName).toBe(custom.deployments);
    expect((deployments.Properties.Replicas as Array<{ Region: string }>).map((r) => r.Region)).toEqual(['eu-west-1', 'us-east-1']);
  });
});
