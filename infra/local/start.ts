import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { FeedNameHasRecords, FeedRepository } from '../../lib/store/feeds.ts';
import { build, bundlePath } from '../build.ts';
import { DEFAULT_ROUTE_FUNCTION, documentedPath, HTTP_FUNCTIONS, ROUTE_IDS, ROUTES, servedPaths, type HttpFunctionName } from '../../lib/domain/routes.ts';
import { tableNamesFromEnv } from '../tables.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { loadConfig, loadEventConfig } from '../../lib/store/config.ts';
import { expireReplaced } from '../../lib/store/retention.ts';
import { WebhookRepository } from '../../lib/store/webhooks.ts';
import type { LocalStreamRecord } from './dynalite-transactions.ts';
import { ensureTables, localClientConfig, startEngine, waitForEndpoint, type Engine } from './dynamodb.ts';
import { localDeadLetterFile, localDispatchDeps, startLocalEvents } from './events.ts';
import { applyLambdaRuntimeEnvironment, startGateway } from './gateway.ts';

/**
 * `npm start`: an embedded DynamoDB (dynalite, or DynamoDB Local with DYNAMODB_ENGINE=dynamodb-local), the tables,
 * a seeded anonymous feed `DefaultNuGet`, a local HTTP API gateway invoking the built Lambda bundle, and the event
 * dispatcher fed by the deployments table's changes (infra/local/events.ts), printing each event in one line and
 * delivering webhooks (loopback receivers allowed here: WEBHOOKS_ALLOW_LOOPBACK=true).
 *
 * With AWS_ENDPOINT_URL_DYNAMODB set, it starts no engine: it serves against that DynamoDB (creating the tables and
 * the feed only where missing), so a second `npm start` with another AWS_REGION and PORT is a second region sharing
 * the first one's tables, as the regions of a global table share its data. Its events come from that DynamoDB's
 * stream when it has one (DynamoDB Local); the embedded dynalite publishes its changes only in the process that runs
 * it, whose dispatcher announces only its own region's records, so a second region on dynalite announces none.
 */
const port = Number(process.env.PORT ?? 3000);
const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 8000);
const dataDir = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined;
const engine = (process.env.DYNAMODB_ENGINE ?? 'dynalite') as Engine;
const seedFeed = process.env.SEED_FEED ?? 'DefaultNuGet';
const LOCAL_REQUEST_TIMEOUT_MS = 8000;
const LOCAL_CONNECT_TIMEOUT_MS = 3000;

/** Startup failures a user can fix get one clear line, not a stack trace. */
const fail = (message: string): never => {
  console.error(`error: ${message}`);
  process.exit(1);
};
const inUse = (e: unknown) => (e as { code?: string }).code === 'EADDRINUSE';

/** Can a server listen on 127.0.0.1:`port` now? */
const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** The port a second `npm start` is told to use: the first free one after `after`, none of `taken` (the engine's). */
const nextFreePort = async (after: number, taken: number[]): Promise<number | undefined> => {
  for (let p = after + 1; p <= 65535; p++) if (!taken.includes(p) && (await isFree(p))) return p;
  return undefined;
};

// dynalite's transactions publish the table's changes here (see infra/local/events.ts); dispatched once it runs.
let onStreamRecord = (_record: LocalStreamRecord): void => {};
const external = process.env.AWS_ENDPOINT_URL_DYNAMODB?.trim() || undefined;
if (external !== undefined && !URL.canParse(external)) fail(`AWS_ENDPOINT_URL_DYNAMODB is not a URL: ${external}`);
const db: { endpoint: string; stop: () => Promise<void> } = external
  ? await waitForEndpoint(external, 10_000).then(
      () => ({ endpoint: external.replace(/\/+$/, ''), stop: async () => {} }),
      () => fail(`no DynamoDB answers at AWS_ENDPOINT_URL_DYNAMODB=${external}; start one (e.g. a first npm start) or unset it`),
    )
  : await startEngine(engine, { port: dynamoPort, path: dataDir, onStreamRecord: (r) => onStreamRecord(r) }).catch((e: unknown) =>
      fail(inUse(e) ? `port ${dynamoPort} is in use; set DYNAMODB_PORT to a free port` : `could not start ${engine}: ${(e as Error).message}`),
    );
// The handler reads these at load, exactly as on Lambda; the SDK reads the endpoint itself.
process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
process.env.AWS_REGION ??= 'local';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
// As the Lambda runtime: each function's first request is its cold start (each bundle has its own Powertools).
applyLambdaRuntimeEnvironment();
// The Lambda defaults (1.5 s per attempt) suit DynamoDB, not an embedded engine sharing this process's CPU with the
// gateway and every function: under a burst of writers its answers queue for seconds, the SDK would give up on them
// while they are being stored, and callers would see 503s. Locally, wait longer (still within the gateway's 29 s: 3 attempts of
// 8 s plus backoff); on AWS the short defaults stay. Explicit settings win.
process.env.DYNAMODB_REQUEST_TIMEOUT_MS ||= String(LOCAL_REQUEST_TIMEOUT_MS);
process.env.DYNAMODB_CONNECT_TIMEOUT_MS ||= String(LOCAL_CONNECT_TIMEOUT_MS);
// Locally, webhooks may go to a receiver on this machine (never set on AWS).
process.env.WEBHOOKS_ALLOW_LOOPBACK ??= 'true';
// Locally, identity tokens may come from an OpenID issuer on this machine (never set on AWS; see docs/pipelines.md).
process.env.TRUST_LOOPBACK_ISSUERS ??= 'true';

// A bad setting fails here with one line naming the variable, as the function's cold start would.
const names = (() => {
  try {
    return tableNamesFromEnv();
  } catch (e) {
    return fail((e as Error).message);
  }
})();
const client = new DynamoDBClient(localClientConfig(db.endpoint));
for (const line of await ensureTables(client, names)) if (!line.startsWith('created')) console.log(`DynamoDB: ${line}.`);
if (seedFeed) {
  const feeds = new FeedRepository(DynamoDBDocumentClient.from(client), names.feeds, { deployments: names.deployments, idempotency: names.idempotency });
  try {
    if (await feeds.add(seedFeed, VIEW_AND_DOWNLOAD)) console.log(`Seeded feed ${seedFeed} (anonymous users may record deployments).`);
  } catch (e) {
    // Kept data (DATA_DIR) whose seed feed was removed: never adopt its records silently.
    if (!(e instanceof FeedNameHasRecords)) throw e;
    console.log(`Did not seed feed ${seedFeed}: ${e.message}`);
  }
}
client.destroy();

const settings = (() => {
  try {
    return loadEventConfig();
  } catch (e) {
    return fail((e as Error).message);
  }
})();
const deadLetterFile = localDeadLetterFile();
// An external DynamoDB is read through its Streams API: DynamoDB Local has one; the embedded dynalite of another
// npm start has none (it publishes its changes in its own process only), so this region's records go unannounced.
const hasStream = async (): Promise<boolean> => {
  const ddb = new DynamoDBClient(localClientConfig(db.endpoint));
  try {
    return (await ddb.send(new DescribeTableCommand({ TableName: names.deployments }))).Table?.LatestStreamArn !== undefined;
  } finally {
    ddb.destroy();
  }
};
const streamless = external !== undefined && !(await hasStream());
const dispatchClient = createDocumentClient();
const events = startLocalEvents({
  // An external DynamoDB is read through its Streams API (DynamoDB Local has one; without, no events here).
  engine: external ? 'dynamodb-local' : engine,
  endpoint: db.endpoint,
  deploymentsTable: names.deployments,
  deps: localDispatchDeps(settings, {
    region: process.env.AWS_REGION,
    webhooks: new WebhookRepository(dispatchClient, loadConfig().webhooksTable),
    expireReplaced: (replaced) => expireReplaced(dispatchClient, names.deployments, replaced),
    out: console.log,
    deadLetterFile,
  }),
  out: console.log,
});
onStreamRecord = events.push;
if (!streamless) await events.start();

await build({ quiet: true });
type Handler = Parameters<typeof startGateway>[0]['routes'][number]['handler'];
// Each function's bundle, loaded as Lambda loads it; every path of lib/domain/routes.ts is served, and a path no route
// matches reaches DEFAULT_ROUTE_FUNCTION, as HTTP API's `$default` route does.
const handlers = Object.fromEntries(
  await Promise.all(
    HTTP_FUNCTIONS.map(async (fn) => {
      const { handler } = (await import(pathToFileURL(bundlePath(fn)).href).catch((e: unknown) => fail(`${fn} failed to load: ${(e as Error).message}`))) as {
        handler: Handler;
      };
      return [fn, handler] as const;
    }),
  ),
) as Record<HttpFunctionName, Handler>;
const routes = ROUTE_IDS.flatMap((id) =>
  servedPaths(ROUTES[id]).map((path) => ({ path, handler: handlers[ROUTES[id].function], functionName: ROUTES[id].function })),
);
const defaultRoute = { path: '$default', handler: handlers[DEFAULT_ROUTE_FUNCTION], functionName: DEFAULT_ROUTE_FUNCTION };
// STAGE: serve under a named stage, as HTTP API does (/<stage>/api/...), to try the service as deployed there.
const stage = process.env.STAGE || undefined;
const started = await startGateway({
  port,
  routes,
  defaultRoute,
  ...(stage ? { stage } : {}),
}).catch(async (e: unknown) => {
  await db.stop();
  return fail(inUse(e) ? `port ${port} is in use; set PORT to a free port` : (e as Error).message);
});

const gateway = { ...started, url: stage ? `${started.url}/${stage}` : started.url };
console.log(
  external
    ? `DynamoDB (external) at ${db.endpoint}, shared: this gateway is region ${process.env.AWS_REGION}.`
    : `DynamoDB (${engine}) at ${db.endpoint}, ${dataDir ? `data in ${dataDir}` : 'in memory'}; region ${process.env.AWS_REGION}.`,
);
console.log(`Admin CLI: AWS_ENDPOINT_URL_DYNAMODB=${db.endpoint} npm run -s admin -- feeds list`);
if (!external) {
  const secondPort = await nextFreePort(Number(new URL(gateway.url).port), [Number(new URL(db.endpoint).port)]);
  const secondRegion = process.env.AWS_REGION === 'us-east-1' ? 'eu-west-1' : 'us-east-1';
  console.log(
    `A second region on the same tables: AWS_ENDPOINT_URL_DYNAMODB=${db.endpoint} AWS_REGION=${secondRegion} PORT=${secondPort ?? '<a free port>'} npm start`,
  );
}
console.log(`Deployments web page at ${gateway.url}${ROUTES.page.path} and the API's description at ${gateway.url}${ROUTES.openapi.path}`);
console.log(`Package Deployment API listening on ${gateway.url}${documentedPath(ROUTES.record)}`);
console.log(
  streamless
    ? `Events: none from this region: the DynamoDB at ${db.endpoint} has no streams (an embedded dynalite shows its changes only to the npm start that runs it). For events in two local regions, start the first one with DYNAMODB_ENGINE=dynamodb-local.`
    : `Events: each is printed here; webhooks (npm run -s admin -- webhooks add ...) are delivered; dead letters go to ${deadLetterFile}.`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  await events.stop();
  await db.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
