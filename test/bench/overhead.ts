/**
 * Handler overhead: the deployed middleware chain (functions/record-deployment/handler.ts with its dependencies
 * injected) against a minimal hand-written handler that does the same work without a framework: method check, body
 * decoding, validation, the feed lookup (from the cache), the same store call and the same response. Both use the same
 * store stub (a document client answering at once), so what is left is the cost of the chain itself.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createHandler } from '../../functions/record-deployment/handler.ts';
import { lambdaContext } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import type { TableNames } from '../../infra/tables.ts';
import { authorize, RECORD_PRIVILEGE, type FeedRecord } from '../../lib/domain/auth.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { Directory } from '../../lib/store/directory.ts';
import { validateDeployment } from '../../lib/domain/deployment.ts';
import { decodeBody } from '../../lib/http/body.ts';
import { json, problemResponse, type Response } from '../../lib/http/responses.ts';
import { feedKey } from '../../lib/domain/keys.ts';
import type { RecordDependencies } from '../../lib/app/record-deployment.ts';
import { newDeployment, toView } from '../../lib/domain/record.ts';
import { formBody } from '../support/invoke.ts';
import { median } from './stats.ts';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Response>;

export const handlerOverhead = async (tables: TableNames, feedName: string) => {
  const feed: FeedRecord = {
    ...feedKey(feedName),
    id: 'bench',
    displayName: feedName,
    anonymousPrivileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'],
    createdAt: '2024-01-01T00:00:00.000Z',
  };
  let writes = 0;
  const store = {
    send: async (command: object) => {
      if (command instanceof BatchGetCommand) return { Responses: { [tables.feeds]: [feed] } };
      writes++;
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  const deps: RecordDependencies = {
    client: store,
    directory: new Directory({ client: store, feedsTable: tables.feeds, apiKeysTable: tables.apiKeys, cacheTtlMs: 3_600_000 }),
    tables: { deployments: tables.deployments, idempotency: tables.idempotency },
    region: 'eu-west-1',
    now: () => new Date(),
  };

  const full = createHandler(deps) as unknown as Handler;
  const minimal: Handler = async (event) => {
    if (event.requestContext.http.method !== 'POST') return problemResponse(405, 'Use POST.', { headers: { Allow: 'POST' } });
    const body = await decodeBody({ body: event.body, isBase64Encoded: event.isBase64Encoded, contentType: event.headers['content-type'] });
    const checked = validateDeployment(body);
    if (!checked.ok) return problemResponse(400, checked.detail);
    const input = checked.value;
    const { feed: found } = await deps.directory.resolve({ feedName: input.FeedName });
    if (!found) return problemResponse(404, `Feed ${input.FeedName} was not found.`);
    authorize({ kind: 'anonymous' }, found, RECORD_PRIVILEGE);
    const receivedAt = new Date().toISOString();
    const { item } = await putDeployment(
      deps.client,
      deps.tables,
      newDeployment(input, { principal: { kind: 'anonymous' }, receivedAt, region: deps.region, feedId: 'bench' }),
    );
    return json(200, toView(item));
  };

  // A form body, base64-encoded, as HTTP API delivers the seed's PowerShell example.
  const event = httpApiRequest({
    method: 'POST',
    url: '/api/package-deployment/',
    rawHeaders: ['Content-Type', 'application/x-www-form-urlencoded'],
    body: Buffer.from(
      formBody({
        FeedName: feedName,
        Application: 'ProfitCalc',
        Description: 'Deployed by Custom Release Server',
        Target: 'localhost',
        PackageName: 'Newtonsoft.Json',
        Version: '12.0.3',
      }),
    ),
  });
  const context = lambdaContext(event.requestContext.requestId, 'record-deployment');
  const fresh = (): APIGatewayProxyEventV2 => ({ ...event, headers: { ...event.headers } });

  const REQUESTS = 2000;
  /** Microseconds per request over a sequential batch. */
  const perRequest = async (handler: Handler): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < REQUESTS; i++) {
      const res = await handler(fresh(), context);
      if (res.statusCode !== 200) throw new Error(`handler overhead: got ${res.statusCode}: ${res.body}`);
    }
    return ((performance.now() - t) * 1000) / REQUESTS;
  };
  await perRequest(full); // warm-up (JIT, the feed cache)
  await perRequest(minimal);
  const fulls: number[] = [];
  const minimals: number[] = [];
  for (let round = 0; round < 9; round++) {
    if (round % 2 === 0) {
      fulls.push(await perRequest(full));
      minimals.push(await perRequest(minimal));
    } else {
      minimals.push(await perRequest(minimal));
      fulls.push(await perRequest(full));
    }
  }
  if (writes === 0) throw new Error('handler overhead: the store stub was never called');
  return { full: median(fulls), minimal: median(minimals), ratio: median(fulls) / median(minimals) };
};

/**
 * Run as its own process by the benchmark: the handler's log and metric lines (one EMF line per request) are written
 * to its stdout as on Lambda, which the benchmark sends to /dev/null; the result comes back on file descriptor 3.
 */
if (import.meta.main) {
  const [tables, feedName] = JSON.parse(process.argv[2]!) as [TableNames, string];
  const result = await handlerOverhead(tables, feedName);
  const { createWriteStream } = await import('node:fs');
  createWriteStream('', { fd: 3 }).end(JSON.stringify(result));
}
