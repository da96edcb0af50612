import { DynamoDBClient, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IdempotencyClaim } from '../../lib/domain/idempotency.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { putDeployment } from '../../lib/store/deployments.ts';

/**
 * The transaction's failure paths that a local engine cannot produce on demand: concurrent transactions on the same
 * item, throttling inside a transaction, clashing ids. The happy paths run against real engines in the integration
 * suite.
 */
const document = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
const mock = mockClient(document);
const tables = { deployments: 'deployments', idempotency: 'idempotency' };
const record: NewDeployment = {
  feedName: 'Feed',
  packageName: 'Pkg',
  version: '1.0.0',
  target: 'web01',
  application: 'app',
  description: 'd',
  userName: 'Anonymous',
  date: '2024-05-01T00:00:00.000Z',
  receivedAt: '2024-05-01T00:00:00.000Z',
  keyId: 'anonymous',
  region: 'eu-west-1',
};
const claim: IdempotencyClaim = { id: 'claim', requestHash: 'hash', expiresAt: 2_000_000_000 };
const cancelled = (...codes: Array<string | CancellationReason>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((c) => (typeof c === 'string' ? { Code: c } : c)),
  });
let ids = 0;
const newId = () => `ID${String(++ids).padStart(24, '0')}`;
const sentItems = () => mock.commandCalls(TransactWriteCommand).map((c) => (c.args[0].input as TransactWriteCommandInput).TransactItems!);

beforeEach(() => {
  mock.reset();
  ids = 0;
  // The record's day is yesterday: a record of today or yesterday marks no day's summary stale; one of the day before,
  // as the rollback below fails, does.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2024-05-02T12:00:00.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('putDeployment', () => {
  it('writes history, current, the four counters and the claim in one transaction', async () => {
    mock.on(TransactWriteCommand).resolves({});
    const { item, replayed } = await putDeployment(document, tables, record, { idempotency: claim, newId });
    expect(replayed).toBe(false);
    const [items] = sentItems();
    expect(items!.map((i) => [Object.keys(i)[0], (i.Put ?? i.Update)!.TableName, (i.Put ?? i.Update)!.ConditionExpression])).toEqual([
      ['Put', 'deployments', 'attribute_not_exists(pk)'],
      [
        'Update',
        'deployments',
        'attribute_not_exists(pk) OR (#latest < :latest AND attribute_not_exists(#open) AND attribute_exists(#order) AND #order <= :order)',
      ],
      ...Array.from({ length: 4 }, () => ['Update', 'deployments', undefined]),
      ['Put', 'idempotency', 'attribute_not_exists(id) OR expiresAt < :now'],
    ]);
    // The current item keeps the version it replaces: every SET reads the item as it was.
    expect(items![1]!.Update!.UpdateExpression).toMatch(/^SET #previousVersion = if_not_exists\(#version, :none\), /);
    expect(items!.slice(2, 6).map((i) => i.Update!.UpdateExpression)).toEqual(Array.from({ length: 4 }, () => 'ADD #count :count'));
    // One shard for the four counters of an attempt, of the record's day and region.
    const shards = new Set(items!.slice(2, 6).map((i) => /^D#\d{4}-\d{2}-\d{2}#R#[^#]+#S#(\d)$/.exec(String(i.Update!.Key!.sk))?.[1]));
    expect(shards.size).toBe(1);
    expect([...shards][0]).toMatch(/^\d$/);
    expect(items![6]!.Put!.Item).toMatchObject({ id: 'claim', requestHash: 'hash', record: { id: item.id } });
  });

  it('stores a backdated record without touching the current item (a second round trip)', async () => {
    const newer = { ...record, id: 'NEWER', pk: 'C#p', sk: 'T#web01', latest: '2024-06-01T00:00:00.000Z#NEWER', version: '2.0.0', versionOrder: '.0012!~' };
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', { Code: 'ConditionalCheckFailed', Item: marshall(newer) }))
      .resolves({});
    await putDeployment(document, tables, record, { newId });
    // History, current and four counters; then history and the counters.
    expect(sentItems().map((items) => items.length)).toEqual([6, 5]);
    expect(sentItems()[1]![0]!.Put!.Item).toMatchObject({ backdated: true });
  });

  it('lands a rollback in a second round trip, on the item it read, with a failure on the replaced record’s day', async () => {
    const held = { ...record, id: 'OLD', pk: 'C#p', sk: 'T#web01', latest: '2024-04-30T00:00:00.000Z#OLD', date: '2024-04-30T00:00:00.000Z', version: '2.0.0' };
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', { Code: 'ConditionalCheckFailed', Item: marshall(held) }))
      .resolves({});
    await putDeployment(document, tables, record, { newId });
    const [, second] = sentItems();
    // History, current, four counters of the record's day, four of the rolled-back record's day, and as that day is
    // before yesterday, four marks on its summaries.
    expect(second!.length).toBe(14);
    expect(second![1]!.Update!.ConditionExpression).toBe('#latest = :before AND attribute_not_exists(#open)');
    expect(second![1]!.Update!.ExpressionAttributeValues![':before']).toBe(held.latest);
    const counters = second!.slice(2).map((i) => [String(i.Update!.Key!.sk).slice(0, 12), i.Update!.UpdateExpression]);
    expect(counters.slice(0, 4)).toEqual(
      Array.from({ length: 4 }, () => [
        'D#2024-05-01',
        'SET #restoreTimes = list_append(if_not_exists(#restoreTimes, :empty), :restoreTimes) ADD #count :count',
      ]),
    );
    expect(counters.slice(4, 8)).toEqual(Array.from({ length: 4 }, () => ['D#2024-04-30', 'ADD #failed :failed']));
    expect(second![2]!.Update!.ExpressionAttributeValues![':restoreTimes']).toEqual([86_400]);
    const marks = second!.slice(10).map((i) => i.Update!);
    expect(marks.map((u) => [u.Key!.sk, u.UpdateExpression])).toEqual(
      Array.from({ length: 4 }, () => ['Y#2024-04-30#R#eu-west-1', 'SET #gen = :gen, #changedAt = :now']),
    );
    expect(new Set(marks.map((u) => u.Key!.pk))).toEqual(new Set(second!.slice(6, 10).map((i) => i.Update!.Key!.pk)));
    expect(marks[0]!.ExpressionAttributeValues).toEqual({ ':gen': second![0]!.Put!.Item!.sk, ':now': Date.parse('2024-05-02T12:00:00.000Z') });
  });

  it('marks the summaries of a day before yesterday it counts on stale, in the same transaction; not those of yesterday or today', async () => {
    mock.on(TransactWriteCommand).resolves({});
    await putDeployment(document, tables, { ...record, date: '2024-04-30T23:59:59.000Z' }, { newId });
    await putDeployment(document, tables, { ...record, date: '2024-05-01T00:00:00.000Z' }, { newId });
    await putDeployment(document, tables, { ...record, date: '2024-05-02T00:00:00.000Z' }, { newId });
    const [past, yesterday, today] = sentItems();
    const summaryKeys = (items: typeof past) => items!.filter((i) => String(i.Update?.Key?.sk ?? '').startsWith('Y#')).map((i) => i.Update!.Key!.sk);
    expect(summaryKeys(past)).toEqual(Array.from({ length: 4 }, () => 'Y#2024-04-30#R#eu-west-1'));
    expect(summaryKeys(yesterday)).toEqual([]);
    expect(summaryKeys(today)).toEqual([]);
  });

  it('notes a failed record as the target’s last attempt, without touching its version', async () => {
    mock.on(TransactWriteCommand).resolves({});
    await putDeployment(document, tables, { ...record, status: 'Failed' }, { newId });
    const [items] = sentItems();
    expect(items![0]!.Put!.Item).toMatchObject({ failed: true, status: 'Failed' });
    expect(items![1]!.Update!.UpdateExpression).toBe('SET #attempt = :attempt, #attemptSk = :sk, #open = if_not_exists(#open, :date)');
    expect(items![2]!.Update!.UpdateExpression).toBe('ADD #count :count, #failed :failed');
  });

  it('draws a new id when the history key is taken', async () => {
    mock.on(TransactWriteCommand).rejectsOnce(cancelled('ConditionalCheckFailed', 'None')).resolves({});
    const { item } = await putDeployment(document, tables, record, { newId });
    expect(item.id).toBe(`ID${'2'.padStart(24, '0')}`);
    expect(sentItems()).toHaveLength(2);
  });

  it('replays the stored record when the claim exists with the same request', async () => {
    const stored = { id: 'claim', requestHash: 'hash', expiresAt: 2_000_000_000, record: { ...record, id: 'FIRST', pk: 'p', sk: 's' } };
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'None', { Code: 'ConditionalCheckFailed', Item: marshall(stored) }));
    const result = await putDeployment(document, tables, record, { idempotency: claim, newId });
    expect(result).toMatchObject({ replayed: true, item: { id: 'FIRST' } });
    expect(sentItems()).toHaveLength(1);
  });

  it('refuses a claim made for another request with 422', async () => {
    expect.assertions(1);
    const stored = { id: 'claim', requestHash: 'other', expiresAt: 2_000_000_000, record: { ...record, id: 'FIRST' } };
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'None', { Code: 'ConditionalCheckFailed', Item: marshall(stored) }));
    await expect(putDeployment(document, tables, record, { idempotency: claim, newId })).rejects.toMatchObject({ kind: 'mismatch' });
  });

  it('answers 409 with Retry-After while another request holds the same claim', async () => {
    expect.assertions(1);
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'TransactionConflict'));
    await expect(putDeployment(document, tables, record, { idempotency: claim, newId })).rejects.toMatchObject({
      kind: 'in-progress',
      retryAfterSeconds: 1,
    });
  });

  it('retries a conflict on the current item, then succeeds', async () => {
    mock.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    await putDeployment(document, tables, record, { newId });
    expect(sentItems()).toHaveLength(2);
  });

  it('gives up on persistent throttling with a 503 and Retry-After, having stored nothing', async () => {
    expect.assertions(2);
    mock.on(TransactWriteCommand).rejects(cancelled('ThrottlingError', 'None'));
    await expect(putDeployment(document, tables, record, { newId })).rejects.toMatchObject({
      kind: 'unavailable',
      retryAfterSeconds: 1,
    });
    expect(sentItems()).toHaveLength(4);
  });

  it('passes other storage errors on unchanged', async () => {
    expect.assertions(1);
    const error = Object.assign(new Error('boom'), { name: 'InternalServerError' });
    mock.on(TransactWriteCommand).rejects(error);
    await expect(putDeployment(document, tables, record, { newId })).rejects.toBe(error);
  });
});
