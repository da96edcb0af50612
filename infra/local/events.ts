import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsApiRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { dispatch, webhookDeps, type DeadLetter, type DeliverySettings, type DispatchDeps, type WebhookSource } from '../../lib/app/events.ts';
import type { ExpireReplaced } from '../../lib/app/retention.ts';
import type { LocalStreamRecord } from './dynalite-transactions.ts';
import { root } from '../paths.ts';
import { localClientConfig, type Engine } from './dynamodb.ts';

/**
 * Events under `npm start`: the deployments table's own changes, handed in batches to the dispatcher the Lambda
 * function runs (lib/app/events.ts), so webhooks are delivered within about a second of the 200 without the HTTP
 * path knowing. The local "bus" is the terminal: each dispatched event is printed in one line.
 *
 * Where the changes come from:
 * - DynamoDB Local (DYNAMODB_ENGINE=dynamodb-local) has DynamoDB Streams: its real API (DescribeTable's
 *   LatestStreamArn, DescribeStream, GetShardIterator, GetRecords, with @aws-sdk/client-dynamodb-streams) is polled
 *   as Lambda's event source mapping polls it, from LATEST at start-up, following new shards from TRIM_HORIZON;
 * - dynalite has no streams, but every write of the deployments table is a TransactWriteItems, which our own code
 *   applies (dynalite-transactions.ts) and which knows each item's old and new image: it publishes a Streams record
 *   per item it writes to `feed.push`, and the same poller drains them. Not a diff of the table (a scan per poll, and
 *   no old image), nor a hook in the HTTP handler: events come from the table's changes, as on AWS, so that a record
 *   the handler does not see (e.g. a second gateway's) is announced too.
 * Failures: a batch the dispatcher reports failed is tried again from the failed record (after 1, 2, 4... s, up to
 * DISPATCH_RETRIES times), then its records are dead-lettered; a webhook delivery that fails after its retries is
 * dead-lettered by the dispatcher. Locally the dead-letter queue is a JSON-lines file (DEAD_LETTER_FILE, default
 * .data/dead-letters.jsonl), and each dead letter is printed.
 */
type Batchable = { dynamodb?: { SequenceNumber?: string | undefined } | undefined; eventID?: string | undefined };

const DISPATCH_RETRIES = 5;
const POLL_MS = 200;
const BATCH = 100;

export type LocalEvents = {
  /** For dynalite: the engine's stream listener (pass to startEngine before the tables exist). */
  push: (record: LocalStreamRecord) => void;
  /** Starts polling (DynamoDB Local's stream, or what `push` collected); resolves once it reads the stream. */
  start: () => Promise<void>;
  stop: () => Promise<void>;
};

/** DEAD_LETTER_FILE, or .data/dead-letters.jsonl in the repository (wherever npm start is run from). */
export const localDeadLetterFile = (env: NodeJS.ProcessEnv = process.env): string => env.DEAD_LETTER_FILE ?? join(root, '.data', 'dead-letters.jsonl');

export const localDispatchDeps = (
  settings: DeliverySettings,
  options: { region: string; webhooks: WebhookSource; out: (line: string) => void; deadLetterFile: string; expireReplaced?: ExpireReplaced | undefined },
): DispatchDeps => ({
  region: options.region,
  expireReplaced: options.expireReplaced,
  ...webhookDeps(options.webhooks, settings),
  // No EventBridge locally: the event line printed by `log` stands for the bus.
  publish: async (events) => events.map(() => true),
  deadLetter: async (letter: DeadLetter) => {
    mkdirSync(dirname(options.deadLetterFile), { recursive: true });
    appendFileSync(options.deadLetterFile, `${JSON.stringify(letter)}\n`);
    options.out(`dead letter: event ${letter.event.id} for webhook ${letter.webhook.id} (${letter.reason}) -> ${options.deadLetterFile}`);
  },
  retry: settings.retry,
  // One line per event, delivery, retry and dead letter; the fields only where the message does not already name them.
  log: (message, fields) =>
    options.out(
      message.startsWith('event ')
        ? message
        : `events: ${message}${fields && !(typeof fields.id === 'string' && message.includes(fields.id)) ? ` ${JSON.stringify(fields)}` : ''}`,
    ),
});

export const startLocalEvents = (options: {
  engine: Engine;
  endpoint: string;
  deploymentsTable: string;
  deps: DispatchDeps;
  out: (line: string) => void;
}): LocalEvents => {
  const { deps, out } = options;
  const queue: Batchable[] = [];
  let stopped = false;
  let running: Promise<void> | undefined;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /** Dispatches `records` until done, retrying a failed tail, then dead-lettering it. */
  const drain = async (records: Batchable[]) => {
    let pending = records;
    for (let attempt = 1; pending.length > 0 && !stopped; attempt++) {
      const { batchItemFailures } = await dispatch(pending, deps).catch((e: unknown) => {
        out(`events: dispatch failed: ${(e as Error).message}`);
        return { batchItemFailures: [{ itemIdentifier: pending[0]?.dynamodb?.SequenceNumber ?? '' }] };
      });
      const failed = batchItemFailures[0]?.itemIdentifier;
      if (failed === undefined) return;
      const from = Math.max(
        0,
        pending.findIndex((r) => r.dynamodb?.SequenceNumber === failed),
      );
      pending = pending.slice(from);
      if (attempt > DISPATCH_RETRIES) {
        const file = localDeadLetterFile();
        mkdirSync(dirname(file), { recursive: true });
        appendFileSync(file, `${JSON.stringify({ reason: `dispatch failed ${attempt} times`, records: pending, at: new Date().toISOString() })}\n`);
        out(`dead letter: ${pending.length} stream record(s) not dispatched after ${attempt} attempts -> ${file}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
    }
  };

  const loopQueue = async () => {
    while (!stopped) {
      if (queue.length === 0) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      await drain(queue.splice(0, BATCH));
    }
  };

  const loopStream = async () => {
    const ddb = new DynamoDBClient(localClientConfig(options.endpoint));
    const streams = new DynamoDBStreamsClient(localClientConfig(options.endpoint));
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: options.deploymentsTable }));
      const streamArn = Table?.LatestStreamArn;
      if (!streamArn) throw new Error(`table ${options.deploymentsTable} has no stream`);
      const iterators = new Map<string, string | undefined>(); // shard id -> next iterator (undefined: closed)
      const lastSeen = new Map<string, string>(); // shard id -> sequence number of the last record read
      let first = true;
      let lastDiscovery = 0;
      while (!stopped) {
        if (Date.now() - lastDiscovery > 2000) {
          lastDiscovery = Date.now();
          const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
          for (const shard of StreamDescription?.Shards ?? []) {
            if (iterators.has(shard.ShardId!)) continue;
            // At start-up, open shards are read from now on; a shard that appears later, from its beginning.
            const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
            if (first && closed) continue;
            const { ShardIterator } = await streams.send(
              new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: first ? 'LATEST' : 'TRIM_HORIZON' }),
            );
            iterators.set(shard.ShardId!, ShardIterator);
          }
          first = false;
          markReady();
        }
        let got = 0;
        for (const [shard, iterator] of iterators) {
          if (!iterator) continue;
          let page;
          try {
            page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH }));
          } catch (e) {
            const name = (e as Error).name;
            if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw e;
            // An iterator DynamoDB Local has stopped honouring (it happens to LATEST iterators of a fresh table's shard):
            // read on after the last record seen, or from the shard's start (at least once: a record read twice is
            // announced twice, with the same event id).
            const after = lastSeen.get(shard);
            const { ShardIterator } = await streams.send(
              new GetShardIteratorCommand({
                StreamArn: streamArn,
                ShardId: shard,
                ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
                ...(after ? { SequenceNumber: after } : {}),
              }),
            );
            iterators.set(shard, ShardIterator);
            continue;
          }
          iterators.set(shard, page.NextShardIterator);
          const records = (page.Records ?? []) as StreamsApiRecord[];
          const last = page.Records?.at(-1)?.dynamodb?.SequenceNumber;
          if (last) lastSeen.set(shard, last);
          got += records.length;
          if (records.length > 0) await drain(records as Batchable[]);
        }
        if (got === 0) await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      ddb.destroy();
      streams.destroy();
    }
  };

  return {
    push: (record) => {
      if (record.tableName === options.deploymentsTable) queue.push(record);
    },
    start: async () => {
      if (options.engine !== 'dynamodb-local') markReady();
      running = (options.engine === 'dynamodb-local' ? loopStream() : loopQueue())
        .catch((e: unknown) => {
          if (!stopped) out(`events: stopped: ${(e as Error).message}`);
        })
        .finally(markReady);
      await ready;
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
};
