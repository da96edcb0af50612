import { createHmac } from 'node:crypto';
import { changeOf } from './versions.ts';
import { toView, type DeploymentRecord } from './record.ts';
import type { DeploymentEvent, EventChange, SlackMessage } from './views.ts';

export type { DeploymentEvent, EventChange, EventDetail } from './views.ts';

/**
 * Deployment events: which change of the deployments table announces a new record, and what the event says.
 * Pure: the stream's images arrive here already unmarshalled (lib/store/stream.ts), the sending is lib/app/events.ts.
 *
 * Exactly one event per new record (at least once: the id is the record's Id, the same on every redelivery):
 * - a record that became its target's current one is announced by the current item's change (an INSERT or MODIFY of
 *   a `C#` item): its old image holds the record it replaced, so PreviousVersion needs no read;
 * - a backdated record (stored without the current item, which holds a newer record) is announced by its history
 *   item's INSERT, which putDeployment marks `backdated: true`;
 * - a failed record (Status Failed; it never becomes current: it only notes itself on the current item, a MODIFY that
 *   keeps the current record, so announces nothing) is announced by its history item's INSERT, marked `failed: true`;
 * - only the region that received the record announces it (every item carries `region`; global tables replicate the
 *   items into the other regions' streams, where `region` is not theirs);
 * - nothing else: an idempotent replay writes nothing; a MODIFY of a current item that keeps its record (a backfill
 *   adding attributes) is not a new record; other items of the table (any other key prefix) are not records; a record
 *   restored by `import` (marked `imported`) was announced when it was first recorded; a REMOVE (a purge, or DynamoDB's
 *   TTL deleting an expired record, whose stream record's userIdentity is the service dynamodb.amazonaws.com) has no
 *   new image and announces nothing.
 * The event source mapping's filter criteria (serverless.yml) drop most of what is not announced before it costs an
 * invocation; this function is the rule itself, so the dispatcher is right even without them.
 */
export const EVENT_SOURCE = 'package-deployment-api';

/**
 * EventBridge detail-types, named after CDEvents' service events. CDEvents has no redeployed, changed or backdated:
 * a redeployment of the same version is `service.deployed`, a change between versions that cannot be ordered is
 * `service.upgraded` (a new version replaced the old one), and a backdated record (history filled in after the fact)
 * is `service.deployed`; `detail.Change` always says which. CDEvents has no failed deployment either, and none of
 * its service events may announce one (a consumer acting on service.deployed would take a failure for a success),
 * so a failed record is the service's own `package-deployment-api.deployment.failed` (docs/events.md says why).
 */
export const DETAIL_TYPES: Readonly<Record<EventChange, string>> = {
  deployed: 'dev.cdevents.service.deployed',
  upgraded: 'dev.cdevents.service.upgraded',
  rolledback: 'dev.cdevents.service.rolledback',
  redeployed: 'dev.cdevents.service.deployed',
  changed: 'dev.cdevents.service.upgraded',
  backdated: 'dev.cdevents.service.deployed',
  failed: `${EVENT_SOURCE}.deployment.failed`,
};

/** One change of an item of the deployments table, as its stream tells it (NEW_AND_OLD_IMAGES, unmarshalled). */
export type ItemChange = {
  eventName?: string | undefined;
  newImage?: Record<string, unknown> | undefined;
  oldImage?: Record<string, unknown> | undefined;
};

const REQUIRED = ['id', 'feedName', 'packageName', 'version', 'target', 'application', 'description', 'userName', 'date', 'receivedAt', 'region'] as const;
const isRecord = (image: Record<string, unknown>): image is Record<string, unknown> & DeploymentRecord =>
  REQUIRED.every((k) => typeof image[k] === 'string') &&
  (image.groupName === undefined || typeof image.groupName === 'string') &&
  (image.url === undefined || typeof image.url === 'string');

/** The record's fields only (toView picks them), whatever else the item holds. */
const eventOf = (record: DeploymentRecord, change: EventChange, previousVersion: string | undefined): DeploymentEvent => ({
  id: record.id,
  source: EVENT_SOURCE,
  'detail-type': DETAIL_TYPES[change],
  time: record.receivedAt,
  region: record.region,
  detail: { ...toView(record), ...(previousVersion !== undefined ? { PreviousVersion: previousVersion } : {}), Change: change },
});

/** The event a change of the deployments table announces in `region`, or undefined when it announces none. */
export const announcedEvent = (change: ItemChange, region: string): DeploymentEvent | undefined => {
  const item = change.newImage;
  if (!item || item.region !== region || typeof item.pk !== 'string' || !isRecord(item) || item.imported === true) return undefined;
  if (item.pk.startsWith('C#') && (change.eventName === 'INSERT' || change.eventName === 'MODIFY')) {
    const old = change.eventName === 'MODIFY' ? change.oldImage : undefined;
    if (old?.id === item.id) return undefined; // the same record, rewritten: not a new one
    const previous = typeof old?.version === 'string' ? old.version : undefined;
    return eventOf(item, changeOf(item.version, previous), previous);
  }
  if (item.pk.startsWith('F#') && change.eventName === 'INSERT' && item.failed === true) {
    return eventOf(item, 'failed', undefined);
  }
  if (item.pk.startsWith('F#') && change.eventName === 'INSERT' && item.backdated === true) {
    return eventOf(item, 'backdated', undefined);
  }
  return undefined;
};

/* ---------------------------------------------------------------- webhook payloads */

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Slack's mrkdwn treats &, < and > as control characters. */
const slackEscape = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A URL inside a Slack link: WHATWG-serialised (which percent-encodes < > and spaces), then | and & escaped too. */
const slackUrl = (url: string): string => new URL(url).href.replaceAll('|', '%7C').replaceAll('<', '%3C').replaceAll('>', '%3E').replaceAll('&', '&amp;');

const CHANGE_WORDS: Readonly<Record<EventChange, string>> = {
  deployed: 'deployed',
  upgraded: 'upgraded',
  rolledback: 'rolled back',
  redeployed: 'redeployed',
  changed: 'changed',
  backdated: 'recorded (backdated)',
  failed: 'FAILED to deploy',
};

/**
 * A Slack incoming-webhook message: package, version, target, region, who, and the change, in one line: "*App 1.2.0*
 * rolled back on *web09*", the target named after "on", never read as the version changed to.
 */
export const slackText = (event: DeploymentEvent): string => {
  const d = event.detail;
  const pkg = d.GroupName ? `${d.GroupName}/${d.PackageName}` : d.PackageName;
  const from = d.PreviousVersion !== undefined && d.PreviousVersion !== d.Version ? ` (was ${slackEscape(d.PreviousVersion)})` : '';
  const link = d.Url && /^https?:\/\//i.test(d.Url) && URL.canParse(d.Url) ? ` <${slackUrl(d.Url)}|details>` : '';
  return (
    `*${slackEscape(pkg)} ${slackEscape(d.Version)}* ${CHANGE_WORDS[d.Change]} on *${slackEscape(d.Target)}*${from}` +
    ` by ${slackEscape(d.UserName)} in ${slackEscape(d.Region)} (feed ${slackEscape(d.FeedName)}, ${slackEscape(d.Date)})${link}`
  );
};

/** The raw body of a delivery: the event itself (json), or a Slack message (slack). */
export const webhookBody = (event: DeploymentEvent, format: WebhookFormat): string =>
  format === 'slack' ? JSON.stringify({ text: slackText(event) } satisfies SlackMessage) : JSON.stringify(event);

/** GitHub's scheme: `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the webhook's secret. */
export const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

export const webhookHeaders = (event: DeploymentEvent, body: string, secret: string, deliveryId: string): Record<string, string> => ({
  'Content-Type': 'application/json',
  'User-Agent': `${EVENT_SOURCE}-webhooks`,
  'X-Deployment-Event': event.detail.Change,
  'X-Deployment-Id': event.id,
  'X-Deployment-Delivery': deliveryId,
  'X-Deployment-Signature-256': signBody(secret, body),
});
