import type { ApiKeyRepository } from '../../store/api-keys.ts';
import type { DocumentClient } from '../../store/client.ts';
import type { FeedRepository } from '../../store/feeds.ts';
import type { WebhookRepository } from '../../store/webhooks.ts';

/**
 * What the administration use cases (feeds, keys, webhooks, counters, retention, export and
 * import) work on: the repositories, and for the records the client and the tables. Built by the admin CLI (infra/admin.ts) from the configuration.
 */
export type AdminDependencies = {
  feeds: FeedRepository;
  keys: ApiKeyRepository;
  webhooks: WebhookRepository;
  client: DocumentClient;
  deploymentsTable: string;
  /** The Idempotency-Key table, which the record transaction names (import records through it). */
  idempotencyTable: string;
};
