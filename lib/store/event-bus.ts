import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeploymentEvent } from '../domain/events.ts';

/** PutEvents takes at most this many entries a call. */
const PUT_EVENTS_ENTRIES = 10;

/**
 * The EventBridge bus the dispatcher publishes to. `publish` puts the events in order, ten a call, and resolves with
 * whether each was accepted; after the first refused event it sends nothing more (those after it are reported not
 * accepted), so that no event overtakes one that will be retried.
 */
export const eventBridgeBus = (eventBusName: string, client: EventBridgeClient = new EventBridgeClient({})) => ({
  publish: async (events: DeploymentEvent[]): Promise<boolean[]> => {
    const accepted: boolean[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_ENTRIES) {
      const chunk = events.slice(i, i + PUT_EVENTS_ENTRIES);
      const out = await client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: eventBusName,
            Source: e.source,
            DetailType: e['detail-type'],
            Time: new Date(e.time),
            Detail: JSON.stringify(e.detail),
          })),
        }),
      );
      const entries = out.Entries ?? [];
      chunk.forEach((_, j) => accepted.push(entries[j]?.EventId !== undefined && !entries[j]?.ErrorCode));
      if (accepted.includes(false)) return accepted;
    }
    return accepted;
  },
});
