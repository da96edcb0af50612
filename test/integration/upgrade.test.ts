import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect, inject, it } from 'vitest';
import { ensureTables, localClientConfig } from '../../infra/local/dynamodb.ts';
import { currentPartitionKey, deploymentPartitionKey, deploymentSortKey, targetIndexKey } from '../../lib/domain/keys.ts';

it('upgrades a deployments table kept from before the indexes, keeping every record and its id', async () => {
  const client = new DynamoDBClient(localClientConfig(inject('dynamoEndpoint')));
  const document = DynamoDBDocumentClient.from(client);
  const run = randomUUID().slice(0, 8);
  const names = { deployments: `old-deployments-${run}`, feeds: `old-feeds-${run}`, apiKeys: `old-keys-${run}`, idempotency: `old-idem-${run}` };
  // The table as the first version created it: pk and sk, no indexes.
  await client.send(
    new CreateTableCommand({
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
    }),
  );
  const old = (version: string, date: string, id: string) => ({
    pk: deploymentPartitionKey('Feed', undefined, 'Pkg'),
    sk: deploymentSortKey(date, id),
    id,
    feedName: 'Feed',
    packageName: 'Pkg',
    version,
    target: 'web01',
    application: 'a',
    description: 'd',
    userName: 'Anonymous',
    date,
    receivedAt: date,
    keyId: 'anonymous',
    region: 'local',
  });
  const records = [
    old('2.0.0', '2024-06-01T00:00:00.000Z', '01J00000000000000000000002'),
    old('1.0.0', '2024-05-01T00:00:00.000Z', '01J00000000000000000000001'),
  ];
  await document.send(new BatchWriteCommand({ RequestItems: { [names.deployments]: records.map((Item) => ({ PutRequest: { Item } })) } }));

  const done = await ensureTables(client, names);
  expect(done).toContain(`upgraded table ${names.deployments} (indexes added, 2 records kept)`);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: names.deployments }));
  expect(Table!.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual(['byFeed', 'byTarget', 'byVersion', 'overview']);

  const history = await document.send(
    new QueryCommand({ TableName: names.deployments, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': records[0]!.pk } }),
  );
  expect(history.Items!.map((i) => [i.id, i.targetPk])).toEqual([
    ['01J00000000000000000000001', targetIndexKey('Feed', 'web01')],
    ['01J00000000000000000000002', targetIndexKey('Feed', 'web01')],
  ]);
  const current = await document.send(
    new QueryCommand({
      TableName: names.deployments,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': currentPartitionKey('Feed', undefined, 'Pkg') },
    }),
  );
  // Replayed in date order: the current item knows what ran before, and is in the overview index.
  expect(current.Items!.map((i) => [i.version, i.previousVersion, i.overviewPk])).toEqual([['2.0.0', '1.0.0', 'F#feed']]);
  expect(await ensureTables(client, names)).toEqual([]);
  client.destroy();
});
