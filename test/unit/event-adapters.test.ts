import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeploymentEvent } from '../../lib/domain/events.ts';
import { sqsDeadLetters } from '../../lib/store/dead-letters.ts';
import { eventBridgeBus } from '../../lib/store/event-bus.ts';

/**
 * The dispatcher's AWS adapters (lib/store/event-bus.ts, lib/store/dead-letters.ts), against the SDK's clients with
 * their requests answered by aws-sdk-client-mock (there is no local EventBridge or SQS): what each sends, in order.
 */
const event = (n: number): DeploymentEvent => ({
  id: `01J0000000000000000000${String(n).padStart(4, '0')}`,
  source: 'package-deployment-api',
  'detail-type': 'dev.cdevents.service.deployed',
  time: '2026-12-01T10:00:00.000Z',
  region: 'eu-west-1',
  detail: {
    FeedName: 'F',
    PackageName: 'P',
    Version: `1.0.${n}`,
    Target: 't',
    Region: 'eu-west-1',
    Change: 'deployed',
  } as unknown as DeploymentEvent['detail'],
});

const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  bus.reset();
  sqs.reset();
});

describe('the EventBridge bus', () => {
  it('puts the events in order, ten a call, on the named bus', async () => {
    bus
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) }));
    const events = Array.from({ length: 23 }, (_, i) => event(i));
    expect(await eventBridgeBus('the-bus', new EventBridgeClient({})).publish(events)).toEqual(events.map(() => true));
    const calls = bus.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map((e) => JSON.parse(e.Detail!).Version)).toEqual(events.map((e) => e.detail.Version));
    expect(calls[0]![0]).toMatchObject({ EventBusName: 'the-bus', Source: 'package-deployment-api', DetailType: 'dev.cdevents.service.deployed' });
    expect(calls[0]![0]!.Time).toEqual(new Date('2026-12-01T10:00:00.000Z'));
  });

  it('sends nothing after a refused event: it and the rest of the call are reported not accepted', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => (i === 4 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'x' } : { EventId: `e${i}` }));
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: entries });
    const accepted = await eventBridgeBus('the-bus', new EventBridgeClient({})).publish(Array.from({ length: 15 }, (_, i) => event(i)));
    expect(accepted.slice(0, 5)).toEqual([true, true, true, true, false]);
    expect(accepted).toHaveLength(10);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});

describe('the SQS dead-letter queue', () => {
  it('looks a queue name up once, then sends each letter as JSON to its URL', async () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/the-dlq';
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const queue = sqsDeadLetters('the-dlq', new SQSClient({}));
    await queue.send({ reason: 'one' });
    await queue.send({ reason: 'two' });
    expect(sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input.QueueName)).toEqual(['the-dlq']);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => [c.args[0].input.QueueUrl, JSON.parse(c.args[0].input.MessageBody!).reason])).toEqual([
      [url, 'one'],
      [url, 'two'],
    ]);
  });

  it('takes a URL as it is, and looks a name up again after a failed lookup', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    await sqsDeadLetters('https://sqs.eu-west-1.amazonaws.com/123456789012/q', new SQSClient({})).send({});
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(0);

    sqs.on(GetQueueUrlCommand).rejectsOnce(new Error('throttled')).resolves({ QueueUrl: 'https://sqs.example/q' });
    const queue = sqsDeadLetters('q', new SQSClient({}));
    await expect(queue.send({})).rejects.toThrow('throttled');
    await queue.send({});
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(2);
    expect(sqs.commandCalls(SendMessageCommand).at(-1)!.args[0].input.QueueUrl).toBe('https://sqs.example/q');
  });
});
