/**
 * Named values as a request carried them, whatever the transport (a JSON body, a form, a query string): names as sent,
 * values as decoded (strings, or JSON values), in the order sent, so that a name given twice can be refused.
 */
export type Fields = Array<[name: string, value: unknown]>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Names that would reach Object.prototype if used as a property name: never a field, whatever their casing. */
export const isForbiddenKey = (name: string): boolean => FORBIDDEN_KEYS.has(name.toLowerCase());
