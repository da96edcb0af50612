import type { ApiKeyRepository } from '../../store/api-keys.ts';
import type { DocumentClient } from '../../store/client.ts';
import type { FeedRepository } from '../../store/feeds.ts';
import type { TrustPolicyRepository } from '../../store/trust-policies.ts';
import type { WebhookRepository } from '../../store/webhooks.ts';

/**
 * What the administration use cases (feeds, keys, webhooks, trust policies, counters) work on: the repositories, and for the counters
 * the client and the deployments table. Built by the admin CLI (infra/admin.ts) from the configuration.
 */
export type AdminDependencies = {
  feeds: FeedRepository;
  keys: ApiKeyRepository;
  webhooks: WebhookRepository;
  trustPolicies: TrustPolicyRepository;
  client: DocumentClient;
  deploymentsTable: string;
};
