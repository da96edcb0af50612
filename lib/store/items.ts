import * as z from '../domain/zod.ts';
import { legacyFeedId, type ApiKeyRecord, type FeedRecord } from '../domain/auth.ts';
import type { DeploymentRecord, LastAttempt } from '../domain/record.ts';

/** Items read back are checked, so a hand-edited or foreign item fails loudly instead of granting access. */
const nonEmpty = () => z.string().check(z.minLength(1));
const strings = () => z._default(z.array(z.string()), []);

export const ApiKeyItem = z.object({
  keyHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  id: nonEmpty(),
  user: nonEmpty(),
  allFeeds: z.boolean(),
  feeds: strings(),
  feedIds: z.optional(z.array(z.string())),
  privileges: strings(),
  expiresAt: z.optional(z.string()),
  revoked: z._default(z.boolean(), false),
  createdAt: z.string(),
}) satisfies z.ZodMiniType<ApiKeyRecord, unknown>;

/** A feed item; one stored before feeds had ids gets its legacy id (see legacyFeedId), so old data keeps working. */
export const FeedItem = z.pipe(
  z.object({
    name: nonEmpty(),
    id: z.optional(nonEmpty()),
    displayName: nonEmpty(),
    anonymousPrivileges: strings(),
    createdAt: z.string(),
    retainDays: z.optional(z.int().check(z.gte(1))),
  }),
  z.transform((f): FeedRecord => ({ ...f, id: f.id ?? legacyFeedId(f.name) })),
) satisfies z.ZodMiniType<FeedRecord, unknown>;

/** A stored deployment record: the domain's record and the keys of the table and of the indexes it appears in. */
export type DeploymentItem = DeploymentRecord & {
  pk: string;
  sk: string;
  feedPk: string;
  targetPk: string;
  versionPk: string;
};

/**
 * A target's current item: its latest record, with the version the target ran before it (null on a first deployment;
 * absent on items written before previousVersion existed, until `counters backfill` sets it).
 */
export type CurrentItem = DeploymentRecord & {
  pk: string;
  sk: string;
  latest: string;
  overviewPk?: string;
  overviewSk?: string;
  previousVersion?: string | null;
  /** versionOrderKey(version): lets the record transaction tell a rollback without reading the item. */
  versionOrder?: string;
  /** The latest failed attempt after the current record, and its history sort key (to keep only the latest). */
  lastAttempt?: LastAttempt;
  lastAttemptSk?: string;
  /** When the first failed attempt since the current record is ordered (orderingInstant): where time to restore starts. */
  openSince?: string;
};

/** An Idempotency-Key claim with the record it answered; expires (TTL) at `expiresAt`, in epoch seconds. */
export type IdempotencyItem = {
  id: string;
  requestHash: string;
  expiresAt: number;
  record: DeploymentItem;
};
