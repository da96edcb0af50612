/** Type guards for an event as it arrived: a direct invocation may send any JSON at all. */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isString = (v: unknown): v is string => typeof v === 'string';

/** A string field of a map as sent, or undefined. */
export const text = (map: unknown, key: string): string | undefined => (isObject(map) && isString(map[key]) ? map[key] : undefined);

/** Only the string values of a map (API Gateway never sends others; a direct invocation may), in a null-prototype object. */
export const stringsOf = (map: unknown): Record<string, string> | undefined => {
  if (!isObject(map)) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(map)) if (isString(value)) out[name] = value;
  return out;
};
