import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { WEBHOOK_FORMATS, type WebhookFormat } from '../domain/events.ts';
import { foldName } from '../domain/keys.ts';
import type { Webhook } from '../domain/webhooks.ts';
import * as z from '../domain/zod.ts';

/**
 * Webhooks, in a table of their own: partition key `feed` (the folded feed name, so a feed's webhooks are one Query
 * for the dispatcher), sort key `id`. A table of its own rather than items in the feeds table: the feeds table is
 * read whole (Scan) by the feeds route, and its readers (the API functions) must never be able to read a webhook's secret.
 */
const WebhookItem = z.object({
  feed: z.string(),
  id: z.string().check(z.minLength(1)),
  feedName: z.string().check(z.minLength(1)),
  url: z.string().check(z.minLength(1)),
  secret: z.string().check(z.minLength(1)),
  format: z.enum(WEBHOOK_FORMATS),
  createdAt: z.string(),
});

const toWebhook = (raw: unknown): Webhook => {
  const { feed: _feed, ...webhook } = WebhookItem.parse(raw);
  return webhook;
};

/** A generated secret: 256 random bits, base64url. */
export const newWebhookSecret = (): string => randomBytes(32).toString('base64url');

export class WebhookRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async add(input: { feedName: string; url: string; secret: string; format: WebhookFormat }, now = new Date()): Promise<Webhook> {
    const webhook: Webhook = { id: `wh_${ulid().toLowerCase()}`, ...input, createdAt: now.toISOString() };
    await this.#client.send(
      new PutCommand({ TableName: this.#table, Item: { feed: foldName(input.feedName), ...webhook }, ConditionExpression: 'attribute_not_exists(id)' }),
    );
    return webhook;
  }

  /** A feed's webhooks (the dispatcher's one read: a Query of the feed's partition). */
  async forFeed(feedName: string): Promise<Webhook[]> {
    const found: Webhook[] = [];
    for await (const page of paginateQuery(
      { client: this.#client },
      { TableName: this.#table, KeyConditionExpression: 'feed = :f', ExpressionAttributeValues: { ':f': foldName(feedName) } },
    )) {
      for (const item of page.Items ?? []) found.push(toWebhook(item));
    }
    return found;
  }

  async list(): Promise<Webhook[]> {
    const found: Webhook[] = [];
    for await (const page of paginateScan({ client: this.#client }, { TableName: this.#table })) {
      for (const item of page.Items ?? []) found.push(toWebhook(item));
    }
    return found.sort((a, b) => a.feedName.localeCompare(b.feedName) || a.id.localeCompare(b.id));
  }

  /** Removes a feed's webhooks (when the feed is removed); how many there were. */
  async removeForFeed(feedName: string): Promise<number> {
    const hooks = await this.forFeed(feedName);
    for (const w of hooks) await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { feed: foldName(feedName), id: w.id } }));
    return hooks.length;
  }

  /** Removes a webhook by id; false if there is none. */
  async remove(id: string): Promise<boolean> {
    const webhook = (await this.list()).find((w) => w.id === id);
    if (!webhook) return false;
    await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { feed: foldName(webhook.feedName), id } }));
    return true;
  }
}
