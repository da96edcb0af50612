import { PRIVILEGES } from '../domain/auth.ts';
import { TRUST_KEY_PREFIX } from '../domain/keys.ts';
import type { TrustPolicy } from '../domain/trust.ts';
import * as z from '../domain/zod.ts';

/**
 * A feed's trust item as stored (see trust-policies.ts), read back and checked: a hand-edited item fails loudly
 * instead of granting access. A module of its own, without the SDK, because the record and read functions load it
 * with `import()` only for a bearer token (see Directory).
 */
export const isTrustItemKey = (keyHash: unknown): boolean => typeof keyHash === 'string' && keyHash.startsWith(TRUST_KEY_PREFIX);

const nonEmpty = () => z.string().check(z.minLength(1));

/** Built on first use. */
const trustPolicySchema = () =>
  z.object({
    id: nonEmpty(),
    feedId: nonEmpty(),
    feedName: nonEmpty(),
    issuer: nonEmpty(),
    audience: nonEmpty(),
    claims: z.record(z.string(), z.string()),
    privileges: z.array(z.enum(PRIVILEGES)),
    name: z.optional(z.string()),
    maxLifetimeSeconds: z.number().check(z.int(), z.gt(0)),
    createdAt: z.string(),
  }) satisfies z.ZodMiniType<TrustPolicy, unknown>;

/** A feed's trust item read back (checked: a hand-edited item fails loudly instead of granting access). */
const trustItemSchema = () =>
  z.object({
    keyHash: z.string().check(z.startsWith(TRUST_KEY_PREFIX)),
    policies: z._default(z.record(z.string(), trustPolicySchema()), {}),
  });
let trustItem: ReturnType<typeof trustItemSchema> | undefined;

/** The policies of a trust item (or none for a missing item), oldest first. */
export const policiesOf = (item: unknown): TrustPolicy[] =>
  item === undefined ? [] : Object.values((trustItem ??= trustItemSchema()).parse(item).policies).sort((a, b) => a.id.localeCompare(b.id));
