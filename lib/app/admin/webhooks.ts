import { NotFound } from '../../domain/errors.ts';
import type { WebhookFormat } from '../../domain/events.ts';
import { foldName } from '../../domain/keys.ts';
import type { AddressPolicy, Webhook } from '../../domain/webhooks.ts';
import { newWebhookSecret } from '../../store/webhooks.ts';
import { refusedWebhookUrl } from '../webhook-client.ts';
import type { AdminDependencies } from './dependencies.ts';

/** A URL deliveries may not go to (not https, not public, or its name resolves to an address that is not). */
export class WebhookUrlRefused extends Error {}

export type NewWebhook = { feedName: string; url: string; secret?: string | undefined; format: WebhookFormat; policy: AddressPolicy };

/**
 * Adds a webhook to an existing feed: the URL is checked first (the URL, then every address its host resolves to now,
 * under `policy`), then the feed. A secret is generated (256 random bits) unless given. Resolves with the webhook,
 * its secret, whether it was generated, and the feed's webhooks that already post to the same URL (each delivers
 * every event, signed with its own secret: usually someone who lost a secret and should remove the old one).
 */
export const addWebhook = async (
  deps: Pick<AdminDependencies, 'feeds' | 'webhooks'>,
  request: NewWebhook,
): Promise<{ webhook: Webhook; secret: string; generated: boolean; sameUrl: Webhook[] }> => {
  const refused = await refusedWebhookUrl(request.url, request.policy);
  if (refused) throw new WebhookUrlRefused(refused);
  const feed = (await deps.feeds.list()).find((f) => f.name === foldName(request.feedName));
  if (!feed) throw new NotFound(`No feed named ${request.feedName} (see feeds list).`);
  const sameUrl = (await deps.webhooks.forFeed(feed.displayName)).filter((w) => w.url === request.url);
  const secret = request.secret ?? newWebhookSecret();
  const webhook = await deps.webhooks.add({ feedName: feed.displayName, url: request.url, secret, format: request.format });
  return { webhook, secret, generated: request.secret === undefined, sameUrl };
};

export const listWebhooks = (deps: Pick<AdminDependencies, 'webhooks'>): Promise<Webhook[]> => deps.webhooks.list();

/** Removes a webhook by its id (ids are lower case: one typed in another case is the same id); unknown is NotFound. */
export const removeWebhook = async (deps: Pick<AdminDependencies, 'webhooks'>, id: string): Promise<string> => {
  const folded = id.trim().toLowerCase();
  if (!(await deps.webhooks.remove(folded))) throw new NotFound(`No webhook with id ${folded}.`);
  return folded;
};
