/**
 * `npm run test:offline` (CI): the seed's examples through serverless-offline running serverless.yml as it is
 * (`npm run offline`, infra/local/offline.ts), over real HTTP. A script rather than a vitest project: it starts and
 * stops one emulator (osls and serverless-offline take ~20 s to start) and prints `N passed, N failed`, exiting 1 on
 * any failure.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RECORD_PRIVILEGE, VIEW_PRIVILEGE } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { localClientConfig } from '../../infra/local/dynamodb.ts';
import { stageTableNames } from '../../infra/tables.ts';
import { freePort } from '../support/ports.ts';
import { startNode, stop } from '../support/processes.ts';
import { seedFields } from '../support/seed.ts';

const SEED_FORM =
  'FeedName=DefaultNuGet&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=localhost&PackageName=Newtonsoft.Json&Version=12.0.3';
const SEED_JSON = JSON.stringify(seedFields(), null, 4).replace(/\n/g, '\r\n');
const SEED_HASHTABLE_FORM =
  'Target=localhost&Description=Deployed+by+Custom+Release+Server&Application=ProfitCalc&FeedName=DefaultNuGet&PackageName=Newtonsoft.Json&Version=12.0.3';
const STAGE = 'smoke';

const [httpPort, lambdaPort] = [await freePort(), await freePort()];
const started = Date.now();
const offline = await startNode(
  ['infra/local/offline.ts', '--stage', STAGE, '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
  /DynamoDB \(\S+\) at (http:\/\/\S+?),[\s\S]*Server ready: /,
  { POWERTOOLS_LOG_LEVEL: 'INFO' },
  180_000,
);
console.log(`serverless-offline ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
const base = `http://localhost:${httpPort}`;
const endpoint = `${base}/api/package-deployment/`;

// A closed feed and a key for the seed's authentication examples, in the emulator's DynamoDB.
const tables = stageTableNames(STAGE);
const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(offline.match[1]!)));
await new FeedRepository(client, tables.feeds, tables).add('Private', []);
const { key } = await new ApiKeyRepository(client, tables.apiKeys, tables.feeds).add({
  user: 'release-server',
  feeds: ['Private'],
  privileges: [RECORD_PRIVILEGE, VIEW_PRIVILEGE],
});
client.destroy();

let passed = 0;
let failed = 0;
const check = async (name: string, run: () => Promise<string | undefined>) => {
  try {
    const problem = await run();
    if (problem === undefined) {
      passed++;
      console.log(`  pass  ${name}`);
    } else {
      failed++;
      console.log(`  FAIL  ${name}: ${problem}`);
    }
  } catch (e) {
    failed++;
    console.log(`  FAIL  ${name}: ${(e as Error).message}`);
  }
};
const recorded = async (res: Response, user = 'Anonymous', feed = 'DefaultNuGet') => {
  const text = await res.text();
  if (res.status !== 200) return `status ${res.status}: ${text}`;
  const json = JSON.parse(text) as Record<string, unknown>;
  const expected = { ...seedFields({ FeedName: feed }), UserName: user };
  const wrong = Object.entries(expected).filter(([k, v]) => json[k] !== v);
  return wrong.length === 0 ? undefined : `unexpected ${wrong.map(([k]) => `${k}=${JSON.stringify(json[k])}`).join(', ')}`;
};
const form = { 'content-type': 'application/x-www-form-urlencoded' };

await check('URL-encoded request (a raw string body, as Invoke-RestMethod -Body sends it)', async () =>
  recorded(await fetch(endpoint, { method: 'POST', headers: form, body: SEED_FORM })),
);
// Not sent without Content-Type: serverless-offline gives such a body `content-type: application/json`, which API
// Gateway does not (npm start and the four-door contract tests cover that case); the seed's examples all send one.
await check('JSON request (ConvertTo-Json)', async () =>
  recorded(await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SEED_JSON })),
);
await check('Form post (a hashtable body)', async () => recorded(await fetch(endpoint, { method: 'POST', headers: form, body: SEED_HASHTABLE_FORM })));
await check('Authentication (X-ApiKey on a closed feed)', async () =>
  recorded(
    await fetch(endpoint, { method: 'POST', headers: { ...form, 'X-ApiKey': key }, body: SEED_FORM.replace('DefaultNuGet', 'Private') }),
    'release-server',
    'Private',
  ),
);
await check('without the trailing slash', async () => recorded(await fetch(endpoint.slice(0, -1), { method: 'POST', headers: form, body: SEED_FORM })));
await check('403 for an invalid key', async () => {
  const res = await fetch(endpoint, { method: 'POST', headers: { ...form, 'X-ApiKey': 'wrong' }, body: SEED_FORM });
  return res.status === 403 ? undefined : `status ${res.status}`;
});
await check('400 names the missing field', async () => {
  const res = await fetch(endpoint, { method: 'POST', headers: form, body: SEED_FORM.replace('&Version=12.0.3', '') });
  const body = (await res.json()) as { detail?: string };
  return res.status === 400 && body.detail === 'Version is required.' ? undefined : `status ${res.status}: ${JSON.stringify(body)}`;
});
await check('405 with Allow for GET on the recording path', async () => {
  const res = await fetch(endpoint);
  return res.status === 405 && res.headers.get('allow') === 'POST' ? undefined : `status ${res.status}, Allow ${res.headers.get('allow')}`;
});
await check('the history lists what was recorded', async () => {
  const res = await fetch(`${base}/api/deployments?FeedName=DefaultNuGet&PackageName=Newtonsoft.Json`);
  const body = (await res.json()) as { Items?: unknown[] };
  return res.status === 200 && body.Items?.length === 4 ? undefined : `status ${res.status}, ${body.Items?.length} items`;
});
await check('current deployments and feeds', async () => {
  const current = await fetch(`${base}/api/deployments/current?FeedName=DefaultNuGet&PackageName=Newtonsoft.Json`);
  const feeds = (await (await fetch(`${base}/api/feeds`, { headers: { 'X-ApiKey': key } })).json()) as { Items: Array<{ Name: string }> };
  return current.status === 200 && feeds.Items.map((f) => f.Name).includes('Private') ? undefined : `current ${current.status}, feeds ${JSON.stringify(feeds)}`;
});
await check('the page and the OpenAPI document', async () => {
  const page = await fetch(`${base}/`);
  const openapi = await fetch(`${base}/api/openapi.json`);
  return page.status === 200 && (page.headers.get('content-type') ?? '').startsWith('text/html') && openapi.status === 200
    ? undefined
    : `page ${page.status}, openapi ${openapi.status}`;
});
await check('a path no route matches: problem+json 404 (the $default route, to the site)', async () => {
  const res = await fetch(`${base}/api/nothing-here`, { method: 'DELETE' });
  const body = (await res.json().catch(() => ({}))) as { status?: number };
  return res.status === 404 && (res.headers.get('content-type') ?? '').startsWith('application/problem+json') && body.status === 404
    ? undefined
    : `status ${res.status}, ${res.headers.get('content-type')}, ${JSON.stringify(body)}`;
});
await check('each function logs its first invocation as a cold start', async () => {
  const answered = offline
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"answered"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = new Map<string, unknown>();
  for (const l of answered) if (!first.has(String(l.function_name))) first.set(String(l.function_name), l.cold_start);
  return first.size === 3 && [...first.values()].every((c) => c === true) ? undefined : `first cold_start per function: ${JSON.stringify([...first])}`;
});

await stop(offline, 'SIGINT');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
