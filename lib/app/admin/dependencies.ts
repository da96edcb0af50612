import type { ApiKeyRepository } from '../../store/api-keys.ts';
import type { DocumentClient } from '../../store/client.ts';
import type { FeedRepository } from '../../store/feeds.ts';
import type { TrustPolicyRepository } from '../../store/trust-policies.ts';
import type { WebhookRepository } from '../../store/webhooks.ts';

/**
 * What the administration use cases (feeds, keys, webhooks, trust policies, counters, retention, export and import)
 * work on: the repositories, and for the records the client and the tables. Built by the admin CLI (infra/admin.ts)
 * from the configuration.
 */
export type AdminDependencies = {
  feeds: FeedRepository;
  keys: ApiKeyRepository;
  webhooks: WebhookRepository;
  trustPolicies: TrustPolicyRepository;
  client: DocumentClient;
  deploymentsTable: string;
  /** The Idempotency-Key table, which the record transaction names (import records through it). */
  idempotencyTable: string;
};
