import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dispatch, dispatchDeps, type DispatchDeps } from '../../lib/app/events.ts';
import { logger } from '../../lib/http/logger.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { config, eventTargets, loadEventConfig } from '../../lib/store/config.ts';
import { sqsDeadLetters } from '../../lib/store/dead-letters.ts';
import { eventBridgeBus } from '../../lib/store/event-bus.ts';
import { expireReplaced } from '../../lib/store/retention.ts';
import { WebhookRepository } from '../../lib/store/webhooks.ts';

/**
 * The deployments table's stream -> EventBridge and webhooks (lib/app/events.ts). Fed by an event source mapping
 * whose filter criteria pass only what may announce a new record of this region (serverless.yml); answers with the
 * failed record so that the mapping retries from there (ReportBatchItemFailures). Dependencies built on the first
 * invocation (the build loads the bundle without the stack's settings to make its compile cache): the webhooks table,
 * the EventBridge bus, the SQS dead-letter queue and the retention step's writes on the deployments table (lib/store)
 * composed with the dispatcher (lib/app/events.ts).
 */
let deps: DispatchDeps | undefined;

const dependencies = (): DispatchDeps => {
  const settings = loadEventConfig();
  const { eventBusName, deadLetterQueue } = eventTargets(settings);
  const c = config();
  const client = createDocumentClient();
  return dispatchDeps({
    region: c.region,
    webhooks: new WebhookRepository(client, c.webhooksTable),
    expireReplaced: (replaced) => expireReplaced(client, c.deploymentsTable, replaced),
    bus: eventBridgeBus(eventBusName),
    deadLetters: sqsDeadLetters(deadLetterQueue),
    settings,
    log: (message, fields) => logger.info(message, fields ?? {}),
  });
};

/** Time kept back from the invocation's for dead-lettering what could not be delivered and answering. */
const MARGIN_MS = 15_000;

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  deps ??= dependencies();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS;
  const { batchItemFailures, events, deliveries } = await dispatch(event.Records, { ...deps, deadline });
  logger.info('batch dispatched', {
    records: event.Records.length,
    events: events.length,
    delivered: deliveries.filter((d) => d.delivered).length,
    notDelivered: deliveries.filter((d) => !d.delivered).length,
    failedFrom: batchItemFailures[0]?.itemIdentifier,
  });
  return { batchItemFailures };
};
