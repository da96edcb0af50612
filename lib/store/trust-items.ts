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

/**
 * Built on first use. Only zod features the functions already load (objects, strings, arrays, numbers): the maps
 * (`policies`, `claims`) and the privilege names are checked by hand below, so that this module adds nothing of zod
 * to what a cold start loads.
 */
const trustPolicySchema = () =>
  z.object({
    id: nonEmpty(),
    feedId: nonEmpty(),
    feedName: nonEmpty(),
    issuer: nonEmpty(),
    audience: nonEmpty(),
    claims: z.object({}),
    privileges: z.array(z.string()),
    name: z.optional(z.string()),
    maxLifetimeSeconds: z.number().check(z.int(), z.gte(1)),
    createdAt: z.string(),
  });
let policySchema: ReturnType<typeof trustPolicySchema> | undefined;

const invalid = (why: string): never => {
  throw new Error(`A trust item is not valid: ${why}`);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const toPolicy = (raw: unknown): TrustPolicy => {
  const parsed = (policySchema ??= trustPolicySchema()).parse(raw);
  const claims = (raw as { claims: Record<string, unknown> }).claims;
  if (!Object.values(claims).every((v) => typeof v === 'string')) invalid(`policy ${parsed.id} has a claim that is not a string`);
  if (!parsed.privileges.every((p) => (PRIVILEGES as readonly string[]).includes(p))) invalid(`policy ${parsed.id} names an unknown privilege`);
  return { ...parsed, claims: claims as Record<string, string>, privileges: parsed.privileges as TrustPolicy['privileges'] };
};

/** The policies of a trust item (or none for a missing item), oldest first; a malformed item throws. */
export const policiesOf = (item: unknown): TrustPolicy[] => {
  if (item === undefined) return [];
  if (!isRecord(item) || !isTrustItemKey(item.keyHash)) return invalid('no trust# key');
  const policies = item.policies ?? {};
  if (!isRecord(policies)) return invalid('policies is not a map');
  return Object.values(policies)
    .map(toPolicy)
    .sort((a, b) => a.id.localeCompare(b.id));
};
