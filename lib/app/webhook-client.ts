import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, refusedAddress, type AddressPolicy, type AttemptOutcome } from '../domain/webhooks.ts';

/**
 * One delivery attempt over node:http(s), refusing unsafe addresses after DNS resolution.
 *
 * Hand-written on node:http rather than fetch: fetch (undici) takes no per-request `lookup`, and the check has to sit
 * where the connection is made. The request's `lookup` resolves the name (all addresses), refuses the lot if any one
 * is not a public address (lib/domain/webhooks.ts), and hands the socket exactly the addresses it checked, so a name
 * that resolves to a public address when checked and to 169.254.169.254 a moment later (DNS rebinding) still connects
 * to the checked one. An IP address in the URL is checked before connecting (Node does not look those up). Redirects
 * are not followed (a 3xx is a failed delivery), so a public receiver cannot bounce a delivery to a private one.
 * The answer's status is all a delivery needs: the connection is closed as soon as it arrives, so a receiver that
 * streams an endless or slow body holds no socket (and no CPU) beyond that.
 */
export class UnsafeAddress extends Error {
  readonly code = 'EUNSAFEADDRESS';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export const safeLookup =
  (policy: AddressPolicy) =>
  (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      const refused = addresses.map((a) => refusedAddress(a.address, policy)).find((r) => r !== undefined);
      if (refused !== undefined || addresses.length === 0) {
        return callback(
          new UnsafeAddress(`${hostname} resolves to ${addresses.map((a) => a.address).join(', ') || 'nothing'}: ${refused ?? 'no address'}`),
          [],
        );
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

/** The admin CLI's check: the URL, then every address its host resolves to now. Resolves with the reason to refuse. */
export const refusedWebhookUrl = async (raw: string, policy: AddressPolicy): Promise<string | undefined> => {
  const checked = checkWebhookUrl(raw, policy);
  if (!checked.ok) return checked.reason;
  const host = checked.url.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host, { all: true });
  } catch (e) {
    return `${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const refused = addresses.map((a) => refusedAddress(a.address, policy)).find((r) => r !== undefined);
  return refused === undefined ? undefined : `${host} resolves to ${addresses.map((a) => a.address).join(', ')}: ${refused}`;
};

/** POSTs `body` once; the outcome says whether it was delivered, may be tried again, or failed for good. */
export const postOnce = (
  raw: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; policy: AddressPolicy },
): Promise<AttemptOutcome> => {
  const checked = checkWebhookUrl(raw, options.policy);
  if (!checked.ok) return Promise.resolve({ error: checked.reason, retryable: false });
  const { url } = checked;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = transport.request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: safeLookup(options.policy) as unknown as typeof dnsLookup,
      agent: false,
    });
    const timer = setTimeout(() => {
      done({ error: `no answer within ${options.timeoutMs} ms`, retryable: true });
      req.destroy();
    }, options.timeoutMs);
    req.on('response', (res) => {
      const retryAfter = res.headers['retry-after'];
      done({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
      // The body is not read: closing now frees the socket whatever the receiver sends after its status line.
      res.destroy();
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const unsafe = e instanceof UnsafeAddress || e.code === 'EUNSAFEADDRESS';
      done({ error: unsafe ? e.message : `${e.code ?? 'error'}: ${e.message}`, retryable: !unsafe });
    });
    req.end(body);
  });
};
