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

/** Inverse of {@link deploymentPartitionKey} (of the folded names): used by tests to prove injectivity. */
export const parseDeploymentPartitionKey = (pk: string): { feed: string; group: string; pkg: string } => {
  const parts = pk.split('#');
  if (parts.length !== 6 || parts[0] !== 'F' || parts[2] !== 'G' || parts[4] !== 'P') {
    throw new Error('not a deployment partition key');
  }
  const unescape = (s: string) => s.replace(/%2[35]/g, (m) => (m === '%23' ? '#' : '%'));
  return { feed: unescape(parts[1]!), group: unescape(parts[3]!), pkg: unescape(parts[5]!) };
};

/**
 * Sort key: the deployment date (ISO 8601 UTC, fixed width, millisecond precision) then the record's ULID, so a
 * package's history sorts by date and two records of the same millisecond never share a key.
 */
export const deploymentSortKey = (dateIso: string, id: string): string => `${dateIso}#${id}`;

/** Feeds are keyed by their folded name. */
export const feedKey = (feedName: string): { name: string } => ({ name: foldName(feedName) });

/** API keys are stored only as the hex SHA-256 of the key, which is the partition key. */
export const hashApiKey = (apiKey: string): string => createHash('sha256').update(apiKey, 'utf8').digest('hex');

export const apiKeyKey = (apiKey: string): { keyHash: string } => ({ keyHash: hashApiKey(apiKey) });
