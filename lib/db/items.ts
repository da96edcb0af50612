import { z } from 'zod';
import type { ApiKeyRecord, FeedRecord } from '../auth.ts';

/** Items read back are checked, so a hand-edited or foreign item fails loudly instead of granting access. */
export const ApiKeyItem = z.object({
  keyHash: z.string().regex(/^[0-9a-f]{64}$/),
  id: z.string().min(1),
  user: z.string().min(1),
  allFeeds: z.boolean(),
  feeds: z.array(z.string()).default([]),
  privileges: z.array(z.string()).default([]),
  expiresAt: z.string().optional(),
  revoked: z.boolean().default(false),
  createdAt: z.string(),
}) satisfies z.ZodType<ApiKeyRecord, unknown>;

export const FeedItem = z.object({
  name: z.string().min(1),
  displayName: z.string().min(1),
  anonymousPrivileges: z.array(z.string()).default([]),
  createdAt: z.string(),
}) satisfies z.ZodType<FeedRecord, unknown>;

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
