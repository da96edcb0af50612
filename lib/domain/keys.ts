import { createHash } from 'node:crypto';

/**
 * The one place that builds DynamoDB keys. Pure functions, so the encoding is unit-tested without a database.
 *
 * Names match case-insensitively (feeds, packages and groups), as in ProGet: keys are built from the folded name,
 * while items keep the caller's casing in their own attributes.
 */
export const foldName = (name: string): string => name.normalize('NFC').toLowerCase();

/** Escapes the separator and the escape character, so that joining escaped parts with '#' is injective. */
const escapePart = (part: string): string => part.replaceAll('%', '%25').replaceAll('#', '%23');

/**
 * Partition key of a package's deployment history: `F#<feed>#G#<group>#P#<package>`, each part folded and escaped.
 * No two distinct (feed, group, package) triples share a key: an escaped part never contains '#', so the parts are
 * recovered by splitting on '#', and escaping is reversible. A missing group is the empty string.
 */
export const deploymentPartitionKey = (feed: string, group: string | undefined, pkg: string): string =>
  `F#${escapePart(foldName(feed))}#G#${escapePart(foldName(group ?? ''))}#P#${escapePart(foldName(pkg))}`;

/**
 * Sort key: the deployment date (or the time received, for a date in the future: see orderingInstant; ISO 8601 UTC, fixed width, millisecond precision) then the record's ULID, so a
 * package's history sorts by date and two records of the same millisecond never share a key. The same value orders
 * every index, and decides which record is a target's current one.
 */
export const deploymentSortKey = (dateIso: string, id: string): string => `${dateIso}#${id}`;

/** The lowest and highest sort keys of records dated within [from, to] (inclusive ISO instants). */
export const sortKeyRange = (fromIso: string | undefined, toIso: string | undefined): { low?: string; high?: string } => ({
  ...(fromIso !== undefined ? { low: fromIso } : {}),
  // ULIDs are Crockford base32 (digits and capitals): '~' sorts after all of them.
  ...(toIso !== undefined ? { high: `${toIso}#~` } : {}),
});

/** Targets (server names) match case-insensitively, like feeds and packages. */
const targetPart = (target: string): string => escapePart(foldName(target));

/**
 * "What is deployed where": one item per (feed, group, package, target) holding the latest record by date, in the
 * deployments table under its own prefix (`C#`, which no history key has), so that a package's targets read as one
 * partition: pk `C#<history pk>`, sk `T#<target>`.
 */
export const currentKey = (feed: string, group: string | undefined, pkg: string, target: string): { pk: string; sk: string } => ({
  pk: currentPartitionKey(feed, group, pkg),
  sk: `T#${targetPart(target)}`,
});
export const currentPartitionKey = (feed: string, group: string | undefined, pkg: string): string => `C#${deploymentPartitionKey(feed, group, pkg)}`;

/**
 * Partition keys of the deployments table's indexes, set on history records only: a feed's activity (`byFeed`),
 * one target's deployments in a feed (`byTarget`), and one version of a package (`byVersion`). Each index is sorted
 * by the record's sort key, so every read is newest first and costs O(page).
 */
export const feedIndexKey = (feed: string): string => `F#${escapePart(foldName(feed))}`;
export const targetIndexKey = (feed: string, target: string): string => `${feedIndexKey(feed)}#T#${targetPart(target)}`;
export const versionIndexKey = (feed: string, group: string | undefined, pkg: string, version: string): string =>
  `${deploymentPartitionKey(feed, group, pkg)}#V#${escapePart(foldName(version))}`;

export const INDEXES = { byFeed: 'feedPk', byTarget: 'targetPk', byVersion: 'versionPk' } as const;
export type IndexName = keyof typeof INDEXES;

/**
 * The overview index: current items only (history records lack its keys), partitioned by feed and sorted by
 * `G#<group>#P#<package>#T#<target>`, so one Query pages through a feed's current items with each package's targets
 * together (escaped parts hold no '#', so the items of one (group, package) form one contiguous range of the sort key).
 */
export const OVERVIEW_INDEX = { name: 'overview', partitionKey: 'overviewPk', sortKey: 'overviewSk' } as const;
export const overviewKeys = (feed: string, group: string | undefined, pkg: string, target: string): { overviewPk: string; overviewSk: string } => ({
  overviewPk: feedIndexKey(feed),
  overviewSk: `${overviewPackagePrefix(group, pkg)}${targetPart(target)}`,
});
/** The overview sort keys of one (group, package) all start with this. */
export const overviewPackagePrefix = (group: string | undefined, pkg: string): string =>
  `G#${escapePart(foldName(group ?? ''))}#P#${escapePart(foldName(pkg))}#T#`;
/** The overview sort keys of one group's packages all start with this. */
export const overviewGroupPrefix = (group: string): string => `G#${escapePart(foldName(group))}#P#`;

/**
 * Deployment counters (per day and region, for the frequency read), in the deployments table under their own prefix
 * `N#`, which no record has. One partition per dimension a frequency query can ask for: the feed, a package, a target,
 * a package on a target; the sort key is `D#<YYYY-MM-DD>#R#<region>`, so each region writes only its own items (global
 * tables never have two regions updating one item) and a date range is one Query, summed across regions when read.
 * The four shapes have 3, 7, 5 and 9 '#'-separated parts, so no two dimensions share a partition.
 *
 * Each (day, region) counter is split into COUNTER_SHARDS items (`#S#<n>` ends the sort key), the shard picked at
 * random for each attempt of a record's transaction: a package deployed to 50 targets at once is 50 concurrent
 * transactions that would otherwise all update the same feed and package counters, and DynamoDB cancels a transaction
 * that touches an item another one is writing (TransactionConflict). Reads sum the shards: at most
 * days x regions x COUNTER_SHARDS small items.
 */
export const COUNTER_SHARDS = 10;
export type CounterDimension = { feed: string; group?: string | undefined; pkg?: string | undefined; target?: string | undefined };
export const counterPartitionKey = ({ feed, group, pkg, target }: CounterDimension): string => {
  const base = pkg !== undefined ? deploymentPartitionKey(feed, group, pkg) : feedIndexKey(feed);
  return `N#${base}${target !== undefined ? `#T#${targetPart(target)}` : ''}`;
};
export const counterSortKey = (day: string, region: string, shard: number): string => `D#${day}#R#${escapePart(region)}#S#${shard}`;
/** The day and region of a counter's sort key. */
export const parseCounterSortKey = (sk: string): { day: string; region: string } => {
  const [, day = '', , region = ''] = sk.split('#');
  return { day, region: region.replace(/%2[35]/g, (m) => (m === '%23' ? '#' : '%')) };
};
/** The counter sort keys of days from `fromDay` to `toDay` (YYYY-MM-DD, inclusive), every region. */
export const counterRange = (fromDay: string, toDay: string): { low: string; high: string } => ({ low: `D#${fromDay}#`, high: `D#${toDay}#~` });
/**
 * A day's summary of one region's counters of a dimension (lib/domain/day-summaries.ts), in the counters' partition:
 * `Y#<YYYY-MM-DD>#R#<region>`, outside every counter range. parseCounterSortKey reads its day and region too.
 */
export const summarySortKey = (day: string, region: string): string => `Y#${day}#R#${escapePart(region)}`;
/** The summary sort keys of days from `fromDay` to `toDay` (inclusive), every region. */
export const summaryRange = (fromDay: string, toDay: string): { low: string; high: string } => ({ low: `Y#${fromDay}#`, high: `Y#${toDay}#~` });
/** Whether a sort key in a counters' partition is a day's summary (summarySortKey) rather than a counter. */
export const isSummarySortKey = (sk: string): boolean => sk.startsWith('Y#');
/** The counters a record adds one to: its feed, its package, its target, its package on its target. */
export const counterPartitionKeys = (feed: string, group: string | undefined, pkg: string, target: string): string[] => [
  counterPartitionKey({ feed }),
  counterPartitionKey({ feed, group, pkg }),
  counterPartitionKey({ feed, target }),
  counterPartitionKey({ feed, group, pkg, target }),
];

/**
 * An Idempotency-Key is scoped to its caller (the API key's id, or anonymous in one feed: see idempotencyScope), so two pipelines that happen to pick
 * the same key never see each other's records. Stored as a SHA-256, like API keys.
 */
export const idempotencyId = (scope: string, idempotencyKey: string): string =>
  createHash('sha256')
    .update(JSON.stringify([scope, idempotencyKey]), 'utf8')
    .digest('hex');

/** Feeds are keyed by their folded name. */
export const feedKey = (feedName: string): { name: string } => ({ name: foldName(feedName) });

/**
 * A feed's trust policies are one item of the API keys table (see lib/store/trust-policies.ts), under `trust#` and the
 * folded feed name: an API key's `keyHash` is 64 hex digits, so the two never meet.
 */
export const TRUST_KEY_PREFIX = 'trust#';
export const trustItemKey = (feedName: string): { keyHash: string } => ({ keyHash: `${TRUST_KEY_PREFIX}${foldName(feedName)}` });

/** API keys are stored only as the hex SHA-256 of the key, which is the partition key. */
export const hashApiKey = (apiKey: string): string => createHash('sha256').update(apiKey, 'utf8').digest('hex');
