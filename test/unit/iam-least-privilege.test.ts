import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext, type LambdaHandler } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import { packageStage } from '../../infra/package.ts';
import { HTTP_FUNCTIONS } from '../../lib/domain/routes.ts';
import { feedKey, hashApiKey } from '../../lib/domain/keys.ts';
import { formBody, invoke } from '../support/invoke.ts';
import { arnMatches, functionKey, resolveSub, resourcesOfType, roleStatements, type Json, type Template } from '../support/template.ts';

/**
 * Least privilege, checked against what the code really does: each function's handler runs every kind of request it
 * serves against a mocked DynamoDB client, the DynamoDB requests it sends are turned into the IAM actions and
 * resources they need (a TransactWriteItems needs each item's own action), and its role in the packaged template
 * must allow exactly those: nothing the code needs is missing, nothing granted goes unused.
 */
const STAGE = 'dev';
const REGION = 'eu-west-1';
const PSEUDO = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': '123456789012' };
const tableArn = (resource: string) => `arn:aws:dynamodb:${REGION}:123456789012:table/${resource}`;

const work = mkdtempSync(join(tmpdir(), 'pda-iam-'));
let template: Template;
let tables: { deployments: string; feeds: string; apiKeys: string; idempotency: string };
const handlers: Record<string, LambdaHandler> = {};
const ddb = mockClient(DynamoDBDocumentClient);

const FEED = 'Releases';
const KEY = 'k'.repeat(43);

beforeAll(async () => {
  const packaged = await packageStage(['--stage', STAGE, '--region', REGION, '--package', join(work, 'dev')], { quiet: true, build: true });
  template = packaged.template as Template;
  const [, fn] = resourcesOfType(template, 'AWS::Lambda::Function')[0]!;
  // Literal names (serverless-offline runs serverless.yml as it is).
  const vars = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
  tables = {
    deployments: vars.DEPLOYMENTS_TABLE!,
    feeds: vars.FEEDS_TABLE!,
    apiKeys: vars.API_KEYS_TABLE!,
    idempotency: vars.IDEMPOTENCY_TABLE!,
  };
  // The handlers read their configuration at load, as on Lambda: from the names the template gives them.
  vi.stubEnv('DEPLOYMENTS_TABLE', tables.deployments);
  vi.stubEnv('FEEDS_TABLE', tables.feeds);
  vi.stubEnv('API_KEYS_TABLE', tables.apiKeys);
  vi.stubEnv('IDEMPOTENCY_TABLE', tables.idempotency);
  vi.stubEnv('LOOKUP_CACHE_TTL_SECONDS', '0');
  vi.stubEnv('AWS_REGION', REGION);
  for (const fn of HTTP_FUNCTIONS) {
    const mod = (await import(`../../functions/${fn}/handler.ts`)) as { handler: LambdaHandler };
    handlers[fn] = mod.handler;
  }
}, 180_000);

afterAll(() => {
  vi.unstubAllEnvs();
  ddb.restore();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  expect.hasAssertions();
  ddb.reset();
  const privileges = ['Feeds_ViewFeed', 'Feeds_DownloadPackage'];
  ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
    Responses: Object.fromEntries(
      Object.keys(input.RequestItems ?? {}).map((table) => [
        table,
        table === tables.feeds
          ? [{ ...feedKey(FEED), displayName: FEED, anonymousPrivileges: privileges, createdAt: '2024-01-01T00:00:00.000Z' }]
          : [
              {
                keyHash: hashApiKey(KEY),
                id: '01J0000000000000000000000K',
                user: 'ci',
                allFeeds: true,
                feeds: [],
                privileges,
                revoked: false,
                createdAt: '2024-01-01T00:00:00.000Z',
              },
            ],
      ]),
    ),
  }));
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  // One deployment counted on 2020-01-15: the DORA read below has a closed day to summarize.
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':low': 'D#2020-01-01#' } }).resolves({ Items: [{ sk: 'D#2020-01-15#R#eu-west-1#S#0', count: 1 }] });
  ddb.on(ScanCommand).resolves({ Items: [] });
});

/** The IAM action and resource each DynamoDB request needs, from the requests the mock received. */
const needed = (): Set<string> => {
  const pairs = new Set<string>();
  for (const call of ddb.calls()) {
    const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
    const input = command.input;
    switch (command.constructor.name) {
      case 'BatchGetCommand':
        for (const table of Object.keys((input as BatchGetCommandInput).RequestItems ?? {})) pairs.add(`dynamodb:BatchGetItem ${tableArn(table)}`);
        break;
      case 'TransactWriteCommand':
        for (const item of (input as TransactWriteCommandInput).TransactItems ?? []) {
          const [kind, op] = Object.entries(item)[0] as [string, { TableName: string }];
          const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind];
          pairs.add(`dynamodb:${action} ${tableArn(op.TableName)}`);
        }
        break;
      case 'UpdateCommand':
        pairs.add(`dynamodb:UpdateItem ${tableArn((input as { TableName: string }).TableName)}`);
        break;
      case 'QueryCommand':
      case 'ScanCommand': {
        const { TableName, IndexName } = input as { TableName: string; IndexName?: string };
        const action = command.constructor.name === 'QueryCommand' ? 'Query' : 'Scan';
        pairs.add(`dynamodb:${action} ${tableArn(IndexName ? `${TableName}/index/${IndexName}` : TableName)}`);
        break;
      }
      default:
        pairs.add(`unmapped ${command.constructor.name}`);
    }
  }
  return pairs;
};

/** The DynamoDB grants of a function's role, as action + resource pattern. */
const granted = (fn: string): string[] => {
  const [logicalId] = resourcesOfType(template, 'AWS::Lambda::Function').find(([id]) => functionKey(template, id, STAGE) === fn)!;
  return roleStatements(template, logicalId).flatMap((s) => {
    expect(s.Effect).toBe('Allow');
    const actions = [s.Action].flat().filter((a) => a.startsWith('dynamodb:'));
    const resources = [s.Resource].flat() as Json[];
    return actions.flatMap((a) => resources.map((r) => `${a} ${resolveSub(r, PSEUDO)}`));
  });
};

const allows = (grants: string[], pair: string) => {
  const [action, arn] = pair.split(' ') as [string, string];
  return grants.some((g) => {
    const [gAction, pattern] = g.split(' ') as [string, string];
    return gAction === action && arnMatches(pattern, arn);
  });
};

const expectExactly = (fn: string, used: Set<string>) => {
  const grants = granted(fn);
  expect(
    [...used].filter((pair) => !allows(grants, pair)),
    `${fn} needs, but is not granted`,
  ).toEqual([]);
  expect(
    grants.filter((g) => ![...used].some((pair) => allows([g], pair))),
    `${fn} is granted, but never uses`,
  ).toEqual([]);
};

const post = (headers: Record<string, string> = {}) =>
  invoke(handlers['record-deployment']!, {
    body: formBody({ FeedName: FEED, Application: 'app', Description: 'd', Target: 'web01', PackageName: 'Pkg', Version: '1.0.0' }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  });

describe('each role allows exactly the DynamoDB requests its function makes', () => {
  it('record-deployment: anonymous, with a key, with an Idempotency-Key', async () => {
    expect((await post()).status).toBe(200);
    expect((await post({ 'X-ApiKey': KEY })).status).toBe(200);
    expect((await post({ 'Idempotency-Key': 'retry-1' })).status).toBe(200);
    const used = needed();
    expect(used).toEqual(
      new Set([
        `dynamodb:BatchGetItem ${tableArn(tables.feeds)}`,
        `dynamodb:BatchGetItem ${tableArn(tables.apiKeys)}`,
        `dynamodb:PutItem ${tableArn(tables.deployments)}`,
        `dynamodb:UpdateItem ${tableArn(tables.deployments)}`,
        `dynamodb:PutItem ${tableArn(tables.idempotency)}`,
      ]),
    );
    expectExactly('record-deployment', used);
  });

  it('query-deployments: history by package, version, target and feed; current; feeds; with a key; the summary of a closed day', async () => {
    const read = handlers['query-deployments']!;
    const get = (path: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
      invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString(), headers });
    const answers = [
      await get('/api/deployments', { FeedName: FEED, PackageName: 'Pkg' }),
      await get('/api/deployments', { FeedName: FEED, PackageName: 'Pkg', Version: '1.0.0' }),
      await get('/api/deployments', { FeedName: FEED, Target: 'web01' }),
      await get('/api/deployments/', { FeedName: FEED }, { 'X-ApiKey': KEY }),
      await get('/api/deployments/current', { FeedName: FEED, PackageName: 'Pkg' }),
      await get('/api/feeds', {}),
      // Stores the summary of a closed day (the mock's counters hold one deployment in the range).
      await get('/api/deployments/dora', { FeedName: FEED, from: '2020-01-01', to: '2020-01-31' }),
    ];
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const used = needed();
    for (const index of ['byVersion', 'byTarget', 'byFeed']) expect(used).toContain(`dynamodb:Query ${tableArn(`${tables.deployments}/index/${index}`)}`);
    expect(used).toContain(`dynamodb:Scan ${tableArn(tables.feeds)}`);
    expectExactly('query-deployments', used);
    // The UpdateItem grant's conditions hold for what the read writes: a counter partition, the summary's attributes.
    const [grant] = roleStatements(template, 'QueryDashdeploymentsLambdaFunction').filter((st) => st.Action === 'dynamodb:UpdateItem');
    const condition = (grant as unknown as { Condition: Record<string, Record<string, string[]>> }).Condition;
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.length).toBeGreaterThan(0);
    for (const update of updates) {
      expect(String(update.Key!.pk)).toMatch(new RegExp(`^${condition['ForAllValues:StringLike']!['dynamodb:LeadingKeys']![0]!.replace('*', '')}`));
      expect(condition['ForAllValues:StringEquals']!['dynamodb:Attributes']).toEqual(
        expect.arrayContaining(['pk', 'sk', ...Object.values(update.ExpressionAttributeNames ?? {})]),
      );
      expect(update.ReturnValues ?? 'NONE').toBe('NONE');
    }
  });

  it('site: serves its pages without any DynamoDB request, and its role has no DynamoDB grant', async () => {
    const site = handlers.site!;
    for (const path of ['/', '/api/openapi.json']) {
      const event = httpApiRequest({ method: 'GET', url: path, rawHeaders: ['Host', 'x.example.com'], body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });
      const answer = (await site(event, lambdaContext(event.requestContext.requestId, 'site'))) as { statusCode: number };
      expect(answer.statusCode).toBe(200);
    }
    expect(ddb.calls()).toEqual([]);
    expect(granted('site')).toEqual([]);
  });

  it("every role may write only to its own function's log group", () => {
    for (const [logicalId, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logs = roleStatements(template, logicalId).filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
      ]);
    }
  });
});
