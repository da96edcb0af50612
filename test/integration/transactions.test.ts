import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { documentClient } from '../../lib/store/client.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * TransactWriteItems as the service uses it, on whichever engine the suite runs: dynalite (with the embedded engine's
 * own TransactWriteItems, infra/local/dynalite-transactions.ts) and, in CI, Amazon's DynamoDB Local. Both must agree.
 */
const client = documentClient();
const table = TEST_TABLES.deployments;
const run = randomUUID().slice(0, 8);
const key = (name: string) => ({ pk: `TX#${run}#${name}`, sk: 'item' });
const get = async (name: string) => (await client.send(new GetCommand({ TableName: table, Key: key(name), ConsistentRead: true }))).Item;
const putNew = (name: string, extra: Record<string, unknown> = {}) => ({
  Put: { TableName: table, Item: { ...key(name), ...extra }, ConditionExpression: 'attribute_not_exists(pk)' },
});

describe(`TransactWriteItems on ${inject('dynamoEngine')}`, () => {
  it('writes every item, or none when one condition fails, naming the failed one', async () => {
    expect.assertions(6);
    await client.send(new TransactWriteCommand({ TransactItems: [putNew('a', { v: 1 }), putNew('b', { v: 1 })] }));
    expect(await get('a')).toMatchObject({ v: 1 });
    try {
      await client.send(new TransactWriteCommand({ TransactItems: [putNew('c', { v: 2 }), putNew('a', { v: 2 })] }));
    } catch (e) {
      expect(e).toBeInstanceOf(TransactionCanceledException);
      const reasons = (e as TransactionCanceledException).CancellationReasons!;
      expect(reasons.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    }
    expect(await get('c')).toBeUndefined();
    expect(await get('a')).toMatchObject({ v: 1 });
    expect(await get('b')).toMatchObject({ v: 1 });
  });

  it('returns the item that failed its condition with ReturnValuesOnConditionCheckFailure ALL_OLD', async () => {
    expect.assertions(2);
    await client.send(new TransactWriteCommand({ TransactItems: [putNew('old', { body: 'first' })] }));
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [putNew('other'), { Put: { ...putNew('old', { body: 'second' }).Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }],
        }),
      );
    } catch (e) {
      const reasons = (e as TransactionCanceledException).CancellationReasons!;
      expect(reasons[0]).toMatchObject({ Code: 'None' });
      // Errors are not unmarshalled by lib-dynamodb: the item comes back as AttributeValues.
      expect(reasons[1]).toMatchObject({ Code: 'ConditionalCheckFailed', Item: { body: { S: 'first' }, pk: { S: key('old').pk } } });
    }
  });

  it('evaluates comparisons in conditions, as the current-state write uses them', async () => {
    expect.assertions(3);
    const newer = (date: string) => ({
      Put: {
        TableName: table,
        Item: { ...key('current'), date },
        ConditionExpression: 'attribute_not_exists(pk) OR #d < :d',
        ExpressionAttributeNames: { '#d': 'date' },
        ExpressionAttributeValues: { ':d': date },
      },
    });
    await client.send(new TransactWriteCommand({ TransactItems: [newer('2024-05-02')] }));
    await client.send(new TransactWriteCommand({ TransactItems: [newer('2024-05-03')] }));
    await expect(client.send(new TransactWriteCommand({ TransactItems: [newer('2024-05-01')] }))).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await get('current')).toMatchObject({ date: '2024-05-03' });
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName: table, Key: key('current'), ConditionExpression: 'attribute_exists(pk)' } },
          { Delete: { TableName: table, Key: key('a') } },
        ],
      }),
    );
    expect(await get('a')).toBeUndefined();
  });

  it('lets exactly one of many concurrent transactions claim the same item', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client.send(new TransactWriteCommand({ TransactItems: [putNew(`race-${i}`), putNew('race', { winner: i })] }))),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    expect(won).toHaveLength(1);
    // Losers fail on the claimed item (ConditionalCheckFailed) or, on DynamoDB, may collide with the winner in flight.
    for (const a of attempts) {
      if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(TransactionCanceledException);
    }
    const winner = (await get('race'))!.winner as number;
    expect(await get(`race-${winner}`)).toBeDefined();
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => (i === winner ? undefined : get(`race-${i}`))));
    expect(others.filter(Boolean)).toEqual([]);
  });
});

describe(`ClientRequestToken on ${inject('dynamoEngine')}`, () => {
  it('a repeat with the same token succeeds without writing again; other parameters are refused', async () => {
    expect.assertions(4);
    const token = randomUUID();
    const first = { TransactItems: [putNew('token-a', { v: 1 })], ClientRequestToken: token };
    await client.send(new TransactWriteCommand(first));
    // The item exists now, so without the token the repeat's condition would fail.
    await expect(client.send(new TransactWriteCommand(first))).resolves.toBeDefined();
    expect(await get('token-a')).toMatchObject({ v: 1 });
    try {
      await client.send(new TransactWriteCommand({ TransactItems: [putNew('token-b', { v: 2 })], ClientRequestToken: token }));
    } catch (e) {
      expect((e as Error).name).toBe('IdempotentParameterMismatchException');
    }
    expect(await get('token-b')).toBeUndefined();
  });
});
