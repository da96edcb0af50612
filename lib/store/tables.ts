import { INDEXES, OVERVIEW_INDEX } from '../domain/keys.ts';

/**
 * The service's tables, declared once: each table's key, its key attributes' types, its global secondary indexes,
 * its TTL attribute and whether something reads its stream. The local engines' CreateTable inputs and the
 * CloudFormation resources of a deployed stage are both made from this (infra/tables.ts).
 *
 * Index and attribute names are lib/domain/keys.ts's (INDEXES, OVERVIEW_INDEX), which the store's queries use too:
 * they name indexes through those constants rather than through this object, so that the Lambda bundles do not carry
 * the declaration (0.6-0.7 KiB of the read bundle) for names they already have.
 */

/** DynamoDB's key attribute types: string, number, binary. */
export type AttributeType = 'S' | 'N' | 'B';

/** A key (of a table or an index): its partition key and, when it has one, its sort key. */
export type KeyDeclaration = { readonly partition: string; readonly sort?: string };

export type TableDeclaration = {
  readonly key: KeyDeclaration;
  /** The type of every attribute a key of the table or of its indexes names. */
  readonly attributes: Readonly<Record<string, AttributeType>>;
  /** Global secondary indexes, by name, each projecting every attribute. */
  readonly indexes?: Readonly<Record<string, KeyDeclaration>>;
  /** The attribute (epoch seconds) after which DynamoDB's TTL deletes an item. */
  readonly ttl?: string;
  /** True when the service reads the table's changes (NEW_AND_OLD_IMAGES): the event dispatcher. */
  readonly stream?: boolean;
};

/** The deployments table's indexes: byFeed, byTarget, byVersion (sorted by the record's `sk`) and overview. */
const DEPLOYMENTS_INDEXES = {
  byFeed: { partition: INDEXES.byFeed, sort: 'sk' },
  byTarget: { partition: INDEXES.byTarget, sort: 'sk' },
  byVersion: { partition: INDEXES.byVersion, sort: 'sk' },
  // Current items only (history records lack its keys): a feed's packages and their targets, for the overview.
  // Items written before it existed lack its keys until `npm run -s admin -- counters backfill` sets them.
  [OVERVIEW_INDEX.name]: { partition: OVERVIEW_INDEX.partitionKey, sort: OVERVIEW_INDEX.sortKey },
} as const satisfies Record<string, KeyDeclaration>;

export const TABLES = {
  /** History, each target's current item and the counters (see docs/architecture.md#storage). */
  deployments: {
    key: { partition: 'pk', sort: 'sk' },
    attributes: { pk: 'S', sk: 'S', feedPk: 'S', targetPk: 'S', versionPk: 'S', overviewPk: 'S', overviewSk: 'S' },
    indexes: DEPLOYMENTS_INDEXES,
    // History records of a feed with a retention expire (lib/domain/retention.ts); current items and counters never do.
    ttl: 'expiresAt',
    // The event dispatcher reads the table's changes (lib/app/events.ts).
    stream: true,
  },
  feeds: { key: { partition: 'name' }, attributes: { name: 'S' } },
  apiKeys: { key: { partition: 'keyHash' }, attributes: { keyHash: 'S' } },
  /** Idempotency-Key claims, which expire 24 h after use (epoch seconds in `expiresAt`). */
  idempotency: { key: { partition: 'id' }, attributes: { id: 'S' }, ttl: 'expiresAt' },
  /** Webhooks (lib/store/webhooks.ts): partition key the folded feed name, sort key the webhook's id. */
  webhooks: { key: { partition: 'feed', sort: 'id' }, attributes: { feed: 'S', id: 'S' } },
} as const satisfies Record<string, TableDeclaration>;

export type TableKey = keyof typeof TABLES;

/**
 * A table's key attributes (the table's, then each index's, each once), with their types: its AttributeDefinitions.
 * Throws for an attribute the declaration gives no type, so that a new index cannot be declared half.
 */
export const keyAttributes = (table: TableDeclaration): Array<{ name: string; type: AttributeType }> => {
  const names = [table.key, ...Object.values(table.indexes ?? {})].flatMap((k) => (k.sort === undefined ? [k.partition] : [k.partition, k.sort]));
  return [...new Set(names)].map((name) => {
    const type = table.attributes[name];
    if (type === undefined) throw new Error(`table declaration: key attribute ${name} has no type in attributes`);
    return { name, type };
  });
};
