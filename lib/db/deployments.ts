import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { deploymentPartitionKey, deploymentSortKey } from '../keys.ts';
import type { DeploymentItem } from './items.ts';

export type NewDeployment = Omit<DeploymentItem, 'pk' | 'sk' | 'id'>;

const nextId = monotonicFactory();
const ATTEMPTS = 3;

/**
 * Stores one deployment record with a conditional put, so that no record ever overwrites another: ids are ULIDs
 * (monotonic within a process), and in the astronomically unlikely event of a clash a fresh id is drawn.
 */
export const putDeployment = async (
  client: DynamoDBDocumentClient,
  table: string,
  record: NewDeployment,
  newId: (seedTime?: number) => string = nextId,
): Promise<DeploymentItem> => {
  const pk = deploymentPartitionKey(record.feedName, record.groupName, record.packageName);
  for (let attempt = 1; ; attempt++) {
    const id = newId(Date.parse(record.receivedAt));
    const item: DeploymentItem = { pk, sk: deploymentSortKey(record.date, id), id, ...record };
    try {
      await client.send(
        new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return item;
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException' || attempt >= ATTEMPTS) throw e;
    }
  }
};
