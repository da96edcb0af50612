import * as z from '../domain/zod.ts';
import type { ApiKeyRecord, FeedRecord } from '../domain/auth.ts';

/** Items read back are checked, so a hand-edited or foreign item fails loudly instead of granting access. */
const nonEmpty = () => z.string().check(z.minLength(1));
const strings = () => z._default(z.array(z.string()), []);

export const ApiKeyItem = z.object({
  keyHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  id: nonEmpty(),
  user: nonEmpty(),
  allFeeds: z.boolean(),
  feeds: strings(),
  privileges: strings(),
  expiresAt: z.optional(z.string()),
  revoked: z._default(z.boolean(), false),
  createdAt: z.string(),
}) satisfies z.ZodMiniType<ApiKeyRecord, unknown>;

export const FeedItem = z.object({
  name: nonEmpty(),
  displayName: nonEmpty(),
  anonymousPrivileges: strings(),
  createdAt: z.string(),
}) satisfies z.ZodMiniType<FeedRecord, unknown>;

/** A stored deployment record: the seed's fields plus what the service adds, and its index keys. */
export type DeploymentItem = {
  pk: string;
  sk: string;
  id: string;
  feedPk: string;
  targetPk: string;
  versionPk: string;
  feedName: string;
  groupName?: string | undefined;
  packageName: string;
  version: string;
  target: string;
  application: string;
  description: string;
  userName: string;
  url?: string | undefined;
  date: string;
  receivedAt: string;
  keyId: string;
  region: string;
};

/** An Idempotency-Key claim with the record it answered; expires (TTL) at `expiresAt`, in epoch seconds. */
export type IdempotencyItem = {
  id: string;
  requestHash: string;
  expiresAt: number;
  record: DeploymentItem;
};
