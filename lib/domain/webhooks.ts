import ipaddr from 'ipaddr.js';
import type { WebhookFormat } from './events.ts';
import type { RetryPolicy } from './retry-policy.ts';

/**
 * Webhooks: where a feed's deployment events are POSTed, which addresses may receive them, and when a failed
 * delivery is tried again. Pure (no sockets): lib/app/webhook-client.ts resolves names and connects.
 *
 * Addresses: classified with ipaddr.js (a well-kept library, rather than a hand-kept list of special ranges); only
 * ordinary public unicast is allowed: never private (10/8, 172.16/12, 192.168/16), loopback, link-local
 * (169.254.169.254, the instance metadata service, included), carrier-grade NAT, unique-local IPv6, multicast,
 * unspecified, documentation, benchmarking, or the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4,
 * Teredo). IPv4-mapped IPv6 is judged as the IPv4 address it carries. Locally (`npm start` sets
 * WEBHOOKS_ALLOW_LOOPBACK=true) loopback addresses and plain http are allowed too, so a receiver on 127.0.0.1 can be
 * tried; never on AWS.
 */
export type Webhook = {
  id: string;
  feedName: string;
  url: string;
  secret: string;
  format: WebhookFormat;
  createdAt: string;
};

export type AddressPolicy = { allowLoopback: boolean };

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** ipaddr.js's range names, in words. */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  private: 'a private address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (169.254.0.0/16 holds the instance metadata service)',
  uniqueLocal: 'a unique-local IPv6 address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unspecified: 'the unspecified address',
  reserved: 'a reserved address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  rfc6052: 'a NAT64 address (it embeds an IPv4 address)',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 address (it embeds an IPv4 address)',
  teredo: 'a Teredo address (it embeds an IPv4 address)',
  benchmarking: 'a benchmarking address',
  amt: 'an AMT address',
  as112: 'an AS112 address',
  deprecated: 'a deprecated address',
  orchid2: 'an ORCHIDv2 address',
  droneRemoteIdProtocolEntityTags: 'a reserved address',
};

/** Why an address may not receive deliveries, or undefined when it may. */
export const refusedAddress = (address: string, policy: AddressPolicy): string | undefined => {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  // IPv6 unicast outside global unicast (2000::/3) is something else ipaddr.js has no name for, e.g. the deprecated
  // IPv4-compatible ::a.b.c.d (::/96): refused, so no IPv6 form that embeds an IPv4 address gets through.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST)) {
    return `${address} is not a global unicast IPv6 address (2000::/3); webhooks are delivered only to public addresses`;
  }
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  return `${address} is ${RANGE_NAMES[range] ?? `a special-purpose (${range}) address`}; webhooks are delivered only to public addresses`;
};

/** A webhook URL checked before any name is resolved: its scheme, and its host when that is an IP address. */
export const checkWebhookUrl = (raw: string, policy: AddressPolicy): { ok: true; url: URL } | { ok: false; reason: string } => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `${raw} is not an absolute URL` };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowLoopback)) {
    const allowed = policy.allowLoopback ? 'https (or http, locally)' : 'https';
    return { ok: false, reason: `webhook URLs must use ${allowed} (got ${url.protocol.replace(/:$/, '')})` };
  }
  if (url.username || url.password) return { ok: false, reason: 'webhook URLs may not carry a user name or password; use the signature to authenticate' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const refused = refusedAddress(host, policy);
    if (refused) return { ok: false, reason: refused };
  } else if (/^localhost\.?$/i.test(host) && !policy.allowLoopback) {
    return { ok: false, reason: 'localhost is a loopback address; webhooks are delivered only to public addresses' };
  }
  return { ok: true, url };
};

/**
 * A webhook URL as listed and logged: scheme, host and port only. A URL's path or query may be its credential (a
 * Slack incoming-webhook URL is one), so it is shown only when the webhook is added.
 */
export const maskedUrl = (raw: string): string => {
  try {
    const url = new URL(raw);
    return url.pathname === '/' && url.search === '' ? url.origin + '/' : `${url.origin}/…`;
  } catch {
    return '…';
  }
};

/* ---------------------------------------------------------------- retries */

/** What an attempt's outcome means: delivered, worth another attempt (5xx, 429, timeouts, network), or final. */
export type AttemptOutcome = { status: number; retryAfter?: string | undefined } | { error: string; retryable: boolean };

export const classify = (outcome: AttemptOutcome): 'delivered' | 'retry' | 'failed' => {
  if ('error' in outcome) return outcome.retryable ? 'retry' : 'failed';
  if (outcome.status >= 200 && outcome.status < 300) return 'delivered';
  if (outcome.status === 429 || outcome.status >= 500) return 'retry';
  return 'failed'; // other 4xx (and redirects, which are not followed) will not change by trying again
};

/** Retry-After in milliseconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export const retryAfterMs = (header: string | undefined, nowMs: number): number | undefined => {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
};

/** The wait before attempt `next` (2, 3, ...): the receiver's Retry-After when it gave one, else exponential backoff. */
export const retryDelayMs = (next: number, policy: RetryPolicy, retryAfter: number | undefined, random = Math.random): number =>
  retryAfter ?? Math.round(policy.baseDelayMs * 2 ** (next - 2) * (0.5 + random() / 2));
