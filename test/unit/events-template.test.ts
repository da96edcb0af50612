import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkTemplates } from '../../infra/check-templates.ts';
import { packageStage } from '../../infra/package.ts';
import { announcedEvent } from '../../lib/domain/events.ts';
import { currentKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { planter, resolveSub, resourcesOfType, roleStatements, targetOf, type Json, type Template } from '../support/template.ts';

/**
 * The events' AWS pieces in the packaged template: the stream's event source mapping (its filter criteria checked
 * against the dispatcher's own rule on sample stream records), the bus, the dead-letter queue, and a role that allows
 * exactly what the dispatch-events function and its mapping do (checked against the function's requests).
 */
const REGION = 'eu-west-1';
const PSEUDO = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': '123456789012' };
const work = mkdtempSync(join(tmpdir(), 'pda-events-'));
let primary: Template;
let secondary: Template;
let secondaryWithStream: Template;
const STREAM = `arn:aws:dynamodb:us-east-1:123456789012:table/package-deployment-api-dev-deployments/stream/2026-01-01T00:00:00.000`;

beforeAll(async () => {
  const regions = `${REGION},us-east-1`;
  primary = (
    await packageStage(['--stage', 'dev', '--region', REGION, '--param', `regions=${regions}`, '--package', join(work, 'p')], { quiet: true, build: true })
  ).template as Template;
  secondary = (await packageStage(['--stage', 'dev', '--region', 'us-east-1', '--param', `regions=${regions}`, '--package', join(work, 's')], { quiet: true }))
    .template as Template;
  secondaryWithStream = (
    await packageStage(
      ['--stage', 'dev', '--region', 'us-east-1', '--param', `regions=${regions}`, '--param', `deploymentsStreamArn=${STREAM}`, '--package', join(work, 's2')],
      { quiet: true },
    )
  ).template as Template;
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const mapping = (t: Template) => resourcesOfType(t, 'AWS::Lambda::EventSourceMapping');

/** EventBridge/Lambda filter patterns, the subset used here: exact values, `prefix`, nested objects. */
const matches = (pattern: Json, value: unknown): boolean => {
  if (Array.isArray(pattern)) {
    return pattern.some((p) => (p && typeof p === 'object' && 'prefix' in p ? typeof value === 'string' && value.startsWith(String(p.prefix)) : value === p));
  }
  if (pattern && typeof pattern === 'object') {
    return Object.entries(pattern).every(([k, p]) => value !== null && typeof value === 'object' && matches(p, (value as Record<string, unknown>)[k]));
  }
  return false;
};

const record = (over: Record<string, unknown> = {}) => ({
  id: '01J00000000000000000000001',
  feedName: 'F',
  packageName: 'P',
  version: '2.0.0',
  target: 't',
  application: 'a',
  description: 'd',
  userName: 'u',
  date: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.000Z',
  keyId: 'anonymous',
  region: REGION,
  ...over,
});
const cur = (over: Record<string, unknown> = {}) => ({ ...currentKey('F', undefined, 'P', 't'), latest: 'x', ...record(over) });
const hist = (over: Record<string, unknown> = {}) => ({ pk: deploymentPartitionKey('F', undefined, 'P'), sk: 'x', ...record(over) });
const SAMPLES: Array<{ eventName: string; newImage?: Record<string, unknown>; oldImage?: Record<string, unknown> }> = [
  { eventName: 'INSERT', newImage: cur() },
  { eventName: 'MODIFY', newImage: cur(), oldImage: cur({ id: '01J00000000000000000000000', version: '1.0.0' }) },
  { eventName: 'INSERT', newImage: hist() },
  { eventName: 'INSERT', newImage: { ...hist(), backdated: true } },
  { eventName: 'INSERT', newImage: { ...hist({ status: 'Failed' }), failed: true } },
  { eventName: 'INSERT', newImage: { ...hist({ status: 'Failed', region: 'us-east-1' }), failed: true } },
  { eventName: 'MODIFY', newImage: cur({ lastAttempt: { Version: '2.0.0', Status: 'Failed', Date: 'x', Id: 'y' } }), oldImage: cur() },
  { eventName: 'INSERT', newImage: cur({ region: 'us-east-1' }) },
  { eventName: 'INSERT', newImage: { ...hist({ region: 'us-east-1' }), backdated: true } },
  { eventName: 'REMOVE', oldImage: cur() },
  { eventName: 'MODIFY', newImage: { ...hist(), backdated: true } },
  { eventName: 'INSERT', newImage: { pk: 'N#F', sk: '2026-01-01#eu-west-1', count: 1, region: REGION } },
];

describe('the event source mapping', () => {
  it("reads the deployments table's stream with partial batch failures, bisecting, a retry limit and the SQS dead-letter queue", () => {
    const esm = mapping(primary)[0]![1];
    const p = esm.Properties;
    expect(p.EventSourceArn).toEqual({ 'Fn::If': ['IsPrimaryRegion', { 'Fn::GetAtt': ['DeploymentsTable', 'StreamArn'] }, ''] });
    expect(primary.Conditions?.IsPrimaryRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, REGION] });
    expect(p).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 10,
    });
    const dlq = targetOf((p.DestinationConfig as { OnFailure: { Destination: Json } }).OnFailure.Destination);
    expect(primary.Resources[dlq]!.Type).toBe('AWS::SQS::Queue');
    expect(primary.Resources[targetOf(p.FunctionName)]!.Properties.FunctionName).toBe('package-deployment-api-dev-dispatch-events');
    const table = resourcesOfType(primary, 'AWS::DynamoDB::GlobalTable').find(([id]) => id === 'DeploymentsTable')![1];
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('its filter criteria pass every stream record the dispatcher announces, and drop replicas, removals and other items', () => {
    const esm = mapping(primary)[0]![1];
    const filters = (esm.Properties.FilterCriteria as { Filters: Array<{ Pattern: Json }> }).Filters.map(
      (f) => JSON.parse(resolveSub(f.Pattern, PSEUDO)) as Json,
    );
    const passes = SAMPLES.map((s) => {
      const streamRecord = {
        eventName: s.eventName,
        dynamodb: { ...(s.newImage ? { NewImage: marshall(s.newImage) } : {}), ...(s.oldImage ? { OldImage: marshall(s.oldImage) } : {}) },
      };
      return filters.some((f) => matches(f, streamRecord));
    });
    const announced = SAMPLES.map((s) => announcedEvent(s, REGION) !== undefined);
    expect(announced).toEqual([true, true, false, true, true, false, false, false, false, false, false, false]);
    // The filter is the cheap first cut; the dispatcher's rule is the last word, so the filter may pass more, never less.
    announced.forEach((a, i) => a && expect(passes[i], `sample ${i}`).toBe(true));
    // A failed attempt's note on the current item (sample 6) passes the filter; the dispatcher announces nothing for it.
    expect(passes).toEqual([true, true, false, true, true, false, true, false, false, false, false, false]);
  });

  it("a secondary region maps its replica's stream when deploy gives it, and has no mapping without it", () => {
    expect(mapping(secondary)).toHaveLength(1);
    // The mapping exists only under the condition, which is false in a secondary region without the stream's ARN.
    expect(mapping(secondary)[0]![1].Condition).toBe('HasDeploymentsStream');
    expect(secondary.Conditions?.HasDeploymentsStream).toEqual({ 'Fn::Or': [{ Condition: 'IsPrimaryRegion' }, { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] }] });
    expect(mapping(secondaryWithStream)[0]![1].Properties.EventSourceArn).toEqual({
      'Fn::If': ['IsPrimaryRegion', { 'Fn::GetAtt': ['DeploymentsTable', 'StreamArn'] }, STREAM],
    });
  });
});

describe('the dispatch-events role allows exactly what the function and its mapping do', () => {
  const grants = () => {
    const [id] = resourcesOfType(primary, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties.FunctionName === 'package-deployment-api-dev-dispatch-events',
    )!;
    return roleStatements(primary, id).flatMap((s) =>
      [s.Action]
        .flat()
        .map(
          (a) =>
            `${a} ${typeof s.Resource === 'object' && s.Resource && 'Fn::Sub' in s.Resource ? resolveSub(s.Resource, PSEUDO) : JSON.stringify(s.Resource)}`,
        ),
    );
  };

  it('stream read on the deployments stream, the retention step on the deployments table, Query on webhooks, PutEvents on the bus, SendMessage on the DLQ, its log group', () => {
    const stream = `arn:aws:dynamodb:${REGION}:123456789012:table/package-deployment-api-dev-deployments/stream/*`;
    const deployments = `arn:aws:dynamodb:${REGION}:123456789012:table/package-deployment-api-dev-deployments`;
    expect(grants().sort()).toEqual(
      [
        'logs:CreateLogStream {"Fn::GetAtt":["DispatchDasheventsLogGroup","Arn"]}',
        'logs:PutLogEvents {"Fn::GetAtt":["DispatchDasheventsLogGroup","Arn"]}',
        `dynamodb:DescribeStream ${stream}`,
        `dynamodb:GetRecords ${stream}`,
        `dynamodb:GetShardIterator ${stream}`,
        `dynamodb:ListStreams ${stream}`,
        `dynamodb:ConditionCheckItem ${deployments}`,
        `dynamodb:UpdateItem ${deployments}`,
        `dynamodb:Query arn:aws:dynamodb:${REGION}:123456789012:table/package-deployment-api-dev-webhooks`,
        'events:PutEvents {"Fn::GetAtt":["EventBus","Arn"]}',
        'sqs:GetQueueUrl {"Fn::GetAtt":["EventsDeadLetterQueue","Arn"]}',
        'sqs:SendMessage {"Fn::GetAtt":["EventsDeadLetterQueue","Arn"]}',
      ].sort(),
    );
    expect(primary.Resources.EventBus!.Type).toBe('AWS::Events::EventBus');
    const env = (primary.Resources.DispatchDasheventsLambdaFunction!.Properties.Environment as { Variables: Record<string, Json> }).Variables;
    // Literal names (serverless-offline runs serverless.yml as it is), the stack's own bus and queue, waited for.
    expect(env.EVENT_BUS_NAME).toBe(primary.Resources.EventBus!.Properties.Name);
    expect(env.DEAD_LETTER_QUEUE).toBe(primary.Resources.EventsDeadLetterQueue!.Properties.QueueName);
    expect(env.EVENT_BUS_NAME).toBe('package-deployment-api-dev');
    expect(primary.Resources.DispatchDasheventsLambdaFunction!.DependsOn).toEqual(expect.arrayContaining(['TablesReady', 'EventBus', 'EventsDeadLetterQueue']));
    expect(env.WEBHOOKS_ALLOW_LOOPBACK).toBeUndefined();
  });

  it("the function's requests: Query of the webhooks table, PutEvents to the bus, the queue's URL and SendMessage to it, nothing else", async () => {
    const ddb = mockClient(DynamoDBDocumentClient);
    const bus = mockClient(EventBridgeClient);
    const sqs = mockClient(SQSClient);
    vi.stubEnv('EVENT_BUS_NAME', 'package-deployment-api-dev');
    vi.stubEnv('DEAD_LETTER_QUEUE', 'package-deployment-api-dev-events-dlq');
    vi.stubEnv('WEBHOOKS_TABLE', 'package-deployment-api-dev-webhooks');
    vi.stubEnv('AWS_REGION', REGION);
    try {
      // A webhook to a loopback address: refused at delivery on AWS settings, so dead-lettered.
      ddb
        .on(QueryCommand)
        .resolves({ Items: [{ feed: 'f', id: 'wh_1', feedName: 'F', url: 'https://127.0.0.1/hook', secret: 's'.repeat(32), format: 'json', createdAt: '' }] });
      bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
      sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/package-deployment-api-dev-events-dlq' });
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
      const { handler } = (await import('../../functions/dispatch-events/handler.ts')) as {
        handler: (e: DynamoDBStreamEvent, c: { getRemainingTimeInMillis: () => number }) => Promise<{ batchItemFailures: unknown[] }>;
      };
      const out = await handler(
        { Records: [{ eventID: '1', eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: marshall(cur()) as never } }] } as DynamoDBStreamEvent,
        { getRemainingTimeInMillis: () => 120_000 },
      );
      expect(out.batchItemFailures).toEqual([]);
      expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.TableName)).toEqual(['package-deployment-api-dev-webhooks']);
      const [put] = bus.commandCalls(PutEventsCommand);
      expect(put!.args[0].input.Entries).toMatchObject([
        { EventBusName: 'package-deployment-api-dev', Source: 'package-deployment-api', DetailType: 'dev.cdevents.service.deployed' },
      ]);
      expect(sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input.QueueName)).toEqual(['package-deployment-api-dev-events-dlq']);
      const [sent] = sqs.commandCalls(SendMessageCommand);
      expect(sent!.args[0].input.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/package-deployment-api-dev-events-dlq');
      expect(JSON.parse(sent!.args[0].input.MessageBody!)).toMatchObject({ webhook: { id: 'wh_1' }, event: { id: '01J00000000000000000000001' } });
      expect(sent!.args[0].input.MessageBody).toMatch(/loopback/);
      expect(ddb.calls()).toHaveLength(1);
      expect(bus.calls()).toHaveLength(1);
      expect(sqs.calls()).toHaveLength(2);

      // With less than the 15 s margin left in the invocation, a delivery is not attempted: dead-lettered as such.
      await handler(
        {
          Records: [
            { eventID: '2', eventName: 'INSERT', dynamodb: { SequenceNumber: '2', NewImage: marshall(cur({ id: '01J00000000000000000000002' })) as never } },
          ],
        } as DynamoDBStreamEvent,
        { getRemainingTimeInMillis: () => 15_500 },
      );
      const late = sqs.commandCalls(SendMessageCommand).at(-1)!;
      expect(JSON.parse(late.args[0].input.MessageBody!)).toMatchObject({ event: { id: '01J00000000000000000000002' }, attempts: 0 });
      expect(late.args[0].input.MessageBody).toMatch(/no time left in this invocation/);
    } finally {
      vi.unstubAllEnvs();
      ddb.restore();
      bus.restore();
      sqs.restore();
    }
  });
});

describe('planted faults fail the events rules (infra/guard/events.guard)', () => {
  const plant = planter(work);
  const guardFails = async (path: string, rule: string, message: RegExp) => {
    const report = (await checkTemplates([path], { lint: false })).reports[0]!;
    const failure = report.guardFailures.find((f) => f.rule === rule);
    expect(failure, `cfn-guard rule ${rule} fails`).toBeDefined();
    expect(failure!.messages.join('\n')).toMatch(message);
  };
  const props = (t: Template) => mapping(t)[0]![1].Properties;
  const dispatcher = (t: Template) => {
    const role = t.Resources.DispatchEventsRole!.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<Record<string, Json>> } }>;
    return role[0]!.PolicyDocument.Statement;
  };

  it('the packaged template passes them', async () => {
    const report = (await checkTemplates([plant(primary, () => {})])).reports[0]!;
    expect(report.guardFailures).toEqual([]);
    expect(report.lint).toEqual([]);
  }, 60_000);

  it('a mapping that retries forever, does not bisect, takes no partial responses, loses failures or is unfiltered', async () => {
    await guardFails(
      plant(primary, (t) => void (props(t).MaximumRetryAttempts = -1)),
      'event_source_mappings_fail_safely',
      /without a bound/,
    );
    await guardFails(
      plant(primary, (t) => void (props(t).BisectBatchOnFunctionError = false)),
      'event_source_mappings_fail_safely',
      /bisect/,
    );
    await guardFails(
      plant(primary, (t) => void delete props(t).FunctionResponseTypes),
      'event_source_mappings_fail_safely',
      /ReportBatchItemFailures/,
    );
    await guardFails(
      plant(primary, (t) => void delete props(t).DestinationConfig),
      'event_source_mappings_fail_safely',
      /no on-failure destination/,
    );
    await guardFails(
      plant(primary, (t) => void delete props(t).FilterCriteria),
      'event_source_mappings_fail_safely',
      /no filter criteria/,
    );
  });

  it('an unencrypted dead-letter queue', async () => {
    await guardFails(
      plant(primary, (t) => void delete t.Resources.EventsDeadLetterQueue!.Properties.SqsManagedSseEnabled),
      'sqs_queues_are_encrypted',
      /not encrypted/,
    );
  });

  it("PutEvents on another bus than the stack's, and stream reads of something other than a named stream", async () => {
    await guardFails(
      plant(primary, (t) => {
        dispatcher(t).find((s) => s.Sid === 'PutEventsOnTheStackBus')!.Resource = {
          'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
        };
      }),
      'put_events_names_the_bus',
      /other than the stack's bus/,
    );
    await guardFails(
      plant(primary, (t) => {
        dispatcher(t).find((s) => s.Sid === 'ReadDeploymentsStream')!.Resource = {
          'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/package-deployment-api-dev-webhooks',
        };
      }),
      'stream_reads_name_a_stream',
      /named table's stream/,
    );
  });
});
