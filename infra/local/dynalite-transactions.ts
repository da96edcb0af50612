/**
 * TransactWriteItems for dynalite, which has none. The service records a deployment, its "current per target" item and
 * its idempotency record in one transaction; this lets the embedded engine run the same code. It is built from
 * dynalite's own parts (request validation, item locks, condition evaluation, index maintenance), so conditions are
 * evaluated exactly as dynalite evaluates them for PutItem and DeleteItem.
 *
 * Supported: Put, Update, Delete and ConditionCheck items with condition expressions and
 * ReturnValuesOnConditionCheckFailure; a failed condition cancels the whole transaction with DynamoDB's
 * TransactionCanceledException and its CancellationReasons. An Update is applied by dynalite's own UpdateItem (its
 * update-expression evaluation, type checks and item-size limit), run against the transaction's locked item and
 * collected into the transaction's batch instead of written. Amazon's DynamoDB Local, the faithful engine CI also
 * runs, has the real thing.
 *
 * Isolation: every item of a transaction is locked (in a fixed order, so transactions cannot deadlock) with the same
 * per-item locks dynalite's single-item writes take, from the condition checks until the last write.
 *
 * Atomicity: all of a transaction's writes (items and index entries) go to LevelDB in one batch, so a process killed
 * mid-transaction (the reliability suite kills it) leaves all of them or none, as DynamoDB promises.
 *
 * Idempotency: as in DynamoDB, a ClientRequestToken (the SDK sends one with every TransactWriteItems, the same on each
 * of its retries) makes a repeat within 10 minutes succeed without writing again; the same token with other
 * parameters is an IdempotentParameterMismatchException, and a repeat while the first is still being applied a
 * TransactionInProgressException. Remembered in memory only: a restarted engine forgets its tokens.
 *
 * It reaches into dynalite's internals (db/, validations/), so package.json pins dynalite exactly (4.0.0): upgrade it on
 * purpose, with test/integration/transactions.test.ts and the reliability suite's kill test.
 *
 * Streams: dynalite has no DynamoDB Streams. A transaction knows each item's old and new image, so once its batch is
 * written it hands `onStreamRecord` (if given) one DynamoDB Streams record per item it wrote, in the Streams shape
 * (eventName INSERT/MODIFY/REMOVE, Keys, NewImage, OldImage, a rising SequenceNumber, NEW_AND_OLD_IMAGES): the local
 * event dispatcher (infra/local/events.ts) reads them as Lambda reads a real stream. In process and in memory, only
 * while the engine runs; single-item writes (PutItem, UpdateItem, DeleteItem) publish nothing: the service writes the
 * records (the only items events are about) only in transactions.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';

const require = createRequire(import.meta.url);

type AttributeMap = Record<string, unknown>;
type Callback<T> = (err: (Error & { statusCode?: number; body?: unknown }) | null | undefined, value?: T) => void;
type Release = (done?: () => void) => () => void;
type ItemDb = {
  lock: (key: string, exec: (release: Release) => void) => void;
  get: (key: string, cb: Callback<AttributeMap>) => void;
  put: (key: string, item: AttributeMap, cb: Callback<void>) => void;
  del: (key: string, cb: Callback<void>) => void;
};
type Table = { TableName: string; KeySchema: Array<{ AttributeName: string }> };
type BatchOp = { type: 'put'; key: string; value: AttributeMap } | { type: 'del'; key: string };
export type DynaliteStore = {
  options: { maxItemSize: number };
  db: { batch: (ops: BatchOp[], cb: Callback<void>) => void };
  getTable: (name: string, checkStatus: boolean, cb: Callback<Table>) => void;
  getItemDb: (name: string) => ItemDb;
};
type Validation = { types: object; custom?: (data: object, store: DynaliteStore) => string | undefined };
type DynaliteDb = {
  create: (options: object) => DynaliteStore;
  createKey: (item: AttributeMap, table: Table) => string;
  validateItem: (item: AttributeMap, table: Table) => Error | undefined;
  validateKey: (key: AttributeMap, table: Table) => Error | undefined;
  checkConditional: (data: object, existing: AttributeMap | undefined) => Error | undefined | null;
  updateIndexes: (store: IndexWriter, table: Table, existing: AttributeMap | undefined, item: AttributeMap | null, cb: Callback<void>) => void;
};
/** What dynalite's updateIndexes needs of a store: index databases to put to and delete from. */
type IndexWriter = {
  getIndexDb: (
    indexType: string,
    tableName: string,
    indexName: string,
  ) => {
    put: (key: string, item: AttributeMap, cb: Callback<void>) => void;
    del: (key: string, cb: Callback<void>) => void;
  };
};

const db = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as {
  checkTypes: (data: object, types: object) => object;
  checkValidations: (data: object, types: object, custom: Validation['custom'], store: DynaliteStore) => void;
};
const putValidation = require('dynalite/validations/putItem') as Validation;
const deleteValidation = require('dynalite/validations/deleteItem') as Validation;
const updateValidation = require('dynalite/validations/updateItem') as Validation;
/** dynalite's UpdateItem action: reads, checks, applies the update expression, maintains indexes and writes. */
const updateItem = require('dynalite/actions/updateItem') as (store: object, data: object, cb: Callback<object>) => void;

const TARGET = 'DynamoDB_20120810.TransactWriteItems';
const MAX_ITEMS = 100;
const TYPE = 'com.amazonaws.dynamodb.v20120810#';

/** One transaction item, validated and bound to its table and key. */
type Step = {
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  data: { TableName: string; Item?: AttributeMap; Key?: AttributeMap; ReturnValuesOnConditionCheckFailure?: string };
  table: Table;
  key: string;
  existing?: AttributeMap | undefined;
  /** The item as the transaction wrote it (null: deleted); set by writesOf. */
  written?: AttributeMap | null;
};

class ApiError extends Error {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
  constructor(statusCode: number, body: Record<string, unknown>) {
    super(String(body.message ?? body.Message ?? body.__type));
    this.statusCode = statusCode;
    this.body = body;
  }
}
const validationError = (message: string) => new ApiError(400, { __type: 'com.amazon.coral.validate#ValidationException', message });

const call = <T>(fn: (cb: Callback<T>) => void): Promise<T> => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

/** Validates one TransactItem as dynalite validates the equivalent single-item request. */
const prepare = async (store: DynaliteStore, raw: Record<string, unknown>, index: number): Promise<Step> => {
  const kinds = (['Put', 'Delete', 'ConditionCheck', 'Update'] as const).filter((k) => raw[k] != null);
  if (kinds.length !== 1) throw validationError(`TransactItems.${index + 1} must have exactly one of Put, Delete, ConditionCheck or Update`);
  const kind = kinds[0]!;
  const spec = raw[kind] as Record<string, unknown>;
  if (kind === 'ConditionCheck' && spec.ConditionExpression == null) {
    throw validationError('ConditionCheck requires a ConditionExpression');
  }
  if (kind === 'Update' && spec.UpdateExpression == null) throw validationError('Update requires an UpdateExpression');
  const validation = kind === 'Put' ? putValidation : kind === 'Update' ? updateValidation : deleteValidation;
  const { ReturnValuesOnConditionCheckFailure: returnValues, ...single } = spec;
  if (returnValues != null && returnValues !== 'ALL_OLD' && returnValues !== 'NONE') {
    throw validationError('ReturnValuesOnConditionCheckFailure must be ALL_OLD or NONE');
  }
  const data = validations.checkTypes(single, validation.types) as Step['data'];
  validations.checkValidations(data, validation.types, validation.custom, store);
  const table = await call<Table>((cb) => store.getTable(data.TableName, false, cb));
  const invalid = kind === 'Put' ? db.validateItem(data.Item!, table) : db.validateKey(data.Key!, table);
  if (invalid) throw invalid;
  if (typeof returnValues === 'string') data.ReturnValuesOnConditionCheckFailure = returnValues;
  return { kind, data, table, key: db.createKey(kind === 'Put' ? data.Item! : data.Key!, table) };
};

/** Locks every step's item in a fixed order; resolves with a function that releases them all. */
const lockAll = (store: DynaliteStore, steps: Step[]): Promise<() => void> => {
  const ordered = [...steps].sort((a, b) =>
    a.table.TableName === b.table.TableName ? (a.key < b.key ? -1 : 1) : a.table.TableName < b.table.TableName ? -1 : 1,
  );
  const releases: Array<() => void> = [];
  const releaseAll = () =>
    releases
      .splice(0)
      .reverse()
      .forEach((r) => r());
  return new Promise((resolve) => {
    const next = (i: number): void => {
      if (i === ordered.length) return resolve(releaseAll);
      const step = ordered[i]!;
      store.getItemDb(step.table.TableName).lock(step.key, (release) => {
        releases.push(release());
        next(i + 1);
      });
    };
    next(0);
  });
};

/**
 * An Update step's writes, from dynalite's own UpdateItem run on a view of the store in which the step's item is the
 * one read under the transaction's lock (no second lock: it is already held), and writes are collected, not applied.
 * Its condition was checked with the others; UpdateItem checks it again on the same item, with the same answer.
 */
const applyUpdate = async (store: DynaliteStore, collector: IndexWriter, step: Step): Promise<BatchOp[]> => {
  const ops: BatchOp[] = [];
  const view = {
    options: store.options,
    getTable: store.getTable,
    getIndexDb: collector.getIndexDb,
    getItemDb: () => ({
      // dynalite's lock hands `release`, which wraps a callback to release the lock first: here, nothing to release.
      lock: (_key: string, exec: (release: <T>(done: T) => T) => void) => exec((done) => done),
      get: (_key: string, cb: Callback<AttributeMap>) =>
        step.existing ? cb(null, step.existing) : cb(Object.assign(new Error('not found'), { name: 'NotFoundError' })),
      put: (_key: string, item: AttributeMap, cb: Callback<void>) => {
        ops.push({ type: 'put', key: `item-${step.table.TableName}~${step.key}`, value: item });
        cb(null);
      },
    }),
  };
  await call<object>((cb) => updateItem(view, step.data, cb));
  return ops;
};

/** A DynamoDB Streams record of one item a transaction wrote (see the opening comment). */
export type LocalStreamRecord = {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventSource: 'aws:dynamodb';
  tableName: string;
  dynamodb: {
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber: string;
    StreamViewType: 'NEW_AND_OLD_IMAGES';
    ApproximateCreationDateTime: number;
  };
};
export type StreamListener = (record: LocalStreamRecord) => void;

let sequence = 0n;
const streamRecord = (step: Step, item: AttributeMap | null): LocalStreamRecord => {
  const source = (item ?? step.existing)!;
  const seq = String(++sequence).padStart(21, '0');
  return {
    eventID: seq,
    eventName: !step.existing ? 'INSERT' : item ? 'MODIFY' : 'REMOVE',
    eventSource: 'aws:dynamodb',
    tableName: step.table.TableName,
    dynamodb: {
      Keys: Object.fromEntries(step.table.KeySchema.map((k) => [k.AttributeName, source[k.AttributeName]])),
      ...(item ? { NewImage: item } : {}),
      ...(step.existing ? { OldImage: step.existing } : {}),
      SequenceNumber: seq,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
    },
  };
};

const transactWriteItems = async (store: DynaliteStore, request: Record<string, unknown>, onStreamRecord?: StreamListener): Promise<object> => {
  const items = request.TransactItems;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
    throw validationError(`TransactItems must have between 1 and ${MAX_ITEMS} items`);
  }
  const steps = await Promise.all(items.map((raw, i) => prepare(store, raw as Record<string, unknown>, i)));
  const ids = new Set(steps.map((s) => `${s.table.TableName}\u0000${s.key}`));
  if (ids.size !== steps.length) throw validationError('Transaction request cannot include multiple operations on one item');

  const release = await lockAll(store, steps);
  try {
    for (const step of steps) {
      step.existing = await call<AttributeMap>((cb) =>
        store.getItemDb(step.table.TableName).get(step.key, (err, item) => cb(err?.name === 'NotFoundError' ? null : err, item)),
      );
    }
    checkConditions(steps);
    const ops = await writesOf(store, steps);
    await call<void>((cb) => store.db.batch(ops, cb));
    if (onStreamRecord) {
      for (const step of steps) {
        if (step.written === undefined || (step.written === null && !step.existing)) continue;
        onStreamRecord(streamRecord(step, step.written));
      }
    }
    return {};
  } finally {
    release();
  }
};

/** Every step's condition, evaluated by dynalite on the item as it is; one that fails cancels the transaction. */
const checkConditions = (steps: Step[]): void => {
  const reasons = steps.map((step) => {
    if (!db.checkConditional(step.data, step.existing)) return { Code: 'None' };
    return {
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      ...(step.data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && step.existing ? { Item: step.existing } : {}),
    };
  });
  if (reasons.some((r) => r.Code !== 'None')) {
    throw new ApiError(400, {
      __type: `${TYPE}TransactionCanceledException`,
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      CancellationReasons: reasons,
    });
  }
};

/**
 * Every write of the transaction, for one LevelDB batch. Keys as dynalite's prefixed sub-databases write them
 * (`<sub-database name>~<key>`); the index entries are collected from dynalite's own updateIndexes.
 */
const writesOf = async (store: DynaliteStore, steps: Step[]): Promise<BatchOp[]> => {
  const ops: BatchOp[] = [];
  const collector: IndexWriter = {
    getIndexDb: (indexType, tableName, indexName) => {
      const prefix = `index-${indexType.toLowerCase()}~${tableName}~${indexName}~`;
      return {
        put: (key, value, cb) => {
          ops.push({ type: 'put', key: prefix + key, value });
          cb(null);
        },
        del: (key, cb) => {
          ops.push({ type: 'del', key: prefix + key });
          cb(null);
        },
      };
    },
  };
  for (const step of steps) {
    if (step.kind === 'ConditionCheck') continue;
    if (step.kind === 'Update') {
      const written = await applyUpdate(store, collector, step);
      ops.push(...written);
      const put = written.find((op) => op.type === 'put');
      step.written = put?.type === 'put' ? put.value : null;
      continue;
    }
    const item = step.kind === 'Put' ? step.data.Item! : null;
    step.written = item;
    await call<void>((cb) => db.updateIndexes(collector, step.table, step.existing, item, cb));
    const key = `item-${step.table.TableName}~${step.key}`;
    ops.push(item ? { type: 'put', key, value: item } : { type: 'del', key });
  }
  return ops;
};

/** ClientRequestTokens seen in the last 10 minutes: the request's fingerprint, and whether it is still being applied. */
type Tokens = Map<string, { fingerprint: string; done: boolean; at: number }>;
const TOKEN_WINDOW_MS = 10 * 60 * 1000;

const idempotent = async (tokens: Tokens, request: Record<string, unknown>, apply: () => Promise<object>): Promise<object> => {
  const token = request.ClientRequestToken;
  if (typeof token !== 'string' || token === '') return apply();
  const now = Date.now();
  for (const [t, seen] of tokens) if (now - seen.at > TOKEN_WINDOW_MS) tokens.delete(t);
  const { ClientRequestToken: _token, ...rest } = request;
  const fingerprint = JSON.stringify(rest);
  const seen = tokens.get(token);
  if (seen) {
    if (seen.fingerprint !== fingerprint) {
      throw new ApiError(400, {
        __type: `${TYPE}IdempotentParameterMismatchException`,
        message: 'The request uses the same client token as a previous, but non-identical request.',
      });
    }
    if (!seen.done)
      throw new ApiError(400, {
        __type: `${TYPE}TransactionInProgressException`,
        message: 'The transaction with the given request token is already in progress.',
      });
    return {};
  }
  tokens.set(token, { fingerprint, done: false, at: now });
  try {
    const out = await apply();
    tokens.set(token, { fingerprint, done: true, at: Date.now() });
    return out;
  } catch (e) {
    // Only a transaction that was applied is remembered: a cancelled or failed one may be tried again.
    tokens.delete(token);
    throw e;
  }
};

const send = (res: ServerResponse, status: number, body: object): void => {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/x-amz-json-1.0');
  res.setHeader('x-amz-crc32', String(crc32(text)));
  res.end(text);
};

const handle = (store: DynaliteStore, tokens: Tokens, req: IncomingMessage, res: ServerResponse, onStreamRecord?: StreamListener): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
    }
    idempotent(tokens, request, () => transactWriteItems(store, request, onStreamRecord)).then(
      (out) => send(res, 200, out),
      (e: unknown) => {
        const err = e as { statusCode?: number; body?: object };
        if (err.statusCode && err.body) return send(res, err.statusCode, err.body);
        send(res, 500, { __type: `${TYPE}InternalServerError`, message: (e as Error).message });
      },
    );
  });
};

/**
 * Creates a dynalite server whose store answers TransactWriteItems too. dynalite creates its store through its `db`
 * module, which is captured here on the way; every other operation goes to dynalite's own request handler.
 */
export const createDynaliteWithTransactions = (
  create: (options: object) => Server,
  options: object,
  hooks: { onStreamRecord?: StreamListener } = {},
): Server => {
  let store: DynaliteStore | undefined;
  const original = db.create;
  db.create = (o: object) => (store = original(o));
  let server: Server;
  try {
    server = create(options);
  } finally {
    db.create = original;
  }
  if (!store) throw new Error('dynalite did not create its store through dynalite/db');
  const captured = store;
  const [dynaliteHandler] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (!dynaliteHandler) throw new Error('dynalite server has no request handler');
  server.removeAllListeners('request');
  const tokens: Tokens = new Map();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.headers['x-amz-target'] === TARGET) handle(captured, tokens, req, res, hooks.onStreamRecord);
    else dynaliteHandler(req, res);
  });
  return server;
};
