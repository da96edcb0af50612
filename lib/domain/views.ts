import { PRIVILEGES } from './auth.ts';
import { EVENT_SOURCE } from './events.ts';
import { INTERVALS } from './frequency.ts';
import { ROUTES } from './routes.ts';
import { CHANGES } from './versions.ts';
import * as z from './zod.ts';

/**
 * What the API answers, and what the event dispatcher sends, declared once as zod schemas: the TypeScript types the
 * code builds them with are inferred from these, and the OpenAPI document's response schemas are generated from them
 * (lib/app/openapi.ts, at build time). Descriptions are zod's global metadata, which z.toJSONSchema reads.
 *
 * Types for the answers, not checks: nothing parses an answer at run time. The code that builds one imports only its
 * type (`import type`), so no bundle carries these schemas.
 */

/** A schema with its description in the OpenAPI document. */
const described = <T extends z.core.$ZodType>(schema: T, description: string): T => {
  z.globalRegistry.add(schema, { description });
  return schema;
};

/** The stored record as the API returns it: the seed's field names, plus the id and what the service added. */
export const DeploymentViewSchema = z.object({
  Id: described(z.string(), 'The record id (a ULID, unique across the service).'),
  FeedName: z.string(),
  GroupName: z.optional(z.string()),
  PackageName: z.string(),
  Version: z.string(),
  Target: z.string(),
  Application: z.string(),
  Description: z.string(),
  UserName: z.string(),
  Url: z.optional(z.string()),
  Date: described(z.string(), 'When it was deployed, ISO 8601 in UTC: the instant used (a Date sent without a zone was read as UTC).'),
  ReceivedAt: described(z.string(), 'When the service received it, ISO 8601 in UTC.'),
  DateInFuture: described(
    z.optional(z.literal(true)),
    'Present when Date lay more than 5 minutes after ReceivedAt: the record is kept with its Date but ordered by ReceivedAt (in histories, for the current version per target, and for from/to), so a wrong clock cannot own the present.',
  ),
  Region: described(z.string(), 'The AWS region that received it.'),
});
export type DeploymentView = z.infer<typeof DeploymentViewSchema>;

/** A page of records (the `history` route). */
export const PageSchema = z.object({
  Items: z.array(DeploymentViewSchema),
  NextCursor: described(z.optional(z.string()), 'Present when there are more records: pass it as cursor.'),
});
export type PageView = z.infer<typeof PageSchema>;

/**
 * A target's current record as the API returns it: the record, the version the target ran before it (absent on a
 * first deployment) and what the deployment did (see changeOf).
 */
export const CurrentViewSchema = z.extend(DeploymentViewSchema, {
  PreviousVersion: described(z.optional(z.string()), 'The version the target ran before this record; absent on a first deployment.'),
  Change: described(
    z.enum(CHANGES),
    'What this deployment did to the target: deployed (first deployment), upgraded (a higher version than PreviousVersion), rolledback (a lower one), redeployed (the same version), changed (versions that cannot be ordered). Versions are ordered as SemVer 2.0, NuGet four-part versions and dotted numbers (numeric parts as numbers, a leading v ignored).',
  ),
});
export type CurrentView = z.infer<typeof CurrentViewSchema>;

/** A page of a package's targets (the `current` route). */
export const CurrentPageSchema = z.object({
  Items: z.array(CurrentViewSchema),
  NextCursor: described(z.optional(z.string()), 'Present when there are more targets: pass it as cursor.'),
});
export type CurrentPageView = z.infer<typeof CurrentPageSchema>;

/** One package of the overview: its current record per target, its distinct versions and whether they differ. */
export const PackageOverviewSchema = z.object({
  GroupName: z.optional(z.string()),
  PackageName: z.string(),
  Versions: described(z.array(z.string()), "The distinct versions the package's targets (those shown) run, highest first."),
  Drift: described(z.boolean(), 'True when the targets shown run different versions (spellings of one version, such as 1.0 and 1.0.0, are not drift).'),
  Targets: described(z.array(CurrentViewSchema), "Each target's current record, in target order."),
});
export type PackageOverview = z.infer<typeof PackageOverviewSchema>;

/** A page of a feed's packages (the `overview` route). */
export const OverviewSchema = z.object({
  Packages: z.array(PackageOverviewSchema),
  NextCursor: described(z.optional(z.string()), 'Present when there are more packages: pass it as cursor.'),
});
export type OverviewView = z.infer<typeof OverviewSchema>;

/** One bucket of the frequency read: its first day and how many records it holds. */
export const BucketSchema = z.object({
  Start: described(z.string(), 'The first day of the bucket (YYYY-MM-DD, UTC; a Monday for weeks).'),
  Count: described(z.int(), 'Deployments recorded with a Date in the bucket, in every region.'),
});
export type Bucket = z.infer<typeof BucketSchema>;

/** A target that runs an affected version: its current record, and the version that fixes it when an advisory says. */
export const AffectedRecordSchema = z.extend(CurrentViewSchema, {
  FixedIn: described(z.optional(z.string()), "The version that fixes it, from the advisory's fixed event (advisories only)."),
});
export type AffectedRecord = z.infer<typeof AffectedRecordSchema>;

/** One package asked about: its targets sorted into affected, unaffected (counted) and unknown. */
export const AffectedPackageSchema = z.object({
  GroupName: z.optional(z.string()),
  PackageName: described(z.string(), 'As the feed stores it (as asked when no target runs it).'),
  Ecosystem: described(z.optional(z.string()), "The advisory's ecosystem (advisories only)."),
  Matching: described(
    z.enum(['range', 'versions-list']),
    "range: the versions' order is known (NuGet, npm or a SEMVER range); versions-list: only the advisory's versions[] are matched.",
  ),
  Affected: described(z.array(AffectedRecordSchema), 'The current record of each target that runs an affected version, in target order.'),
  Unaffected: described(z.int(), 'How many targets checked run a version outside the range.'),
  Unknown: described(z.array(CurrentViewSchema), 'Targets whose version cannot be ordered (not SemVer, NuGet or dotted numbers): never called safe.'),
});
export type AffectedPackage = z.infer<typeof AffectedPackageSchema>;

/** Which targets run an affected version (the `affected` route), by a range or an OSV advisory. */
export const AffectedSchema = z.object({
  Advisory: described(z.nullable(z.string()), "The advisory's id; null for a range query or an advisory without one."),
  Packages: described(z.array(AffectedPackageSchema), "Every package asked about (the advisory's, in its order), with this page's targets."),
  Checked: described(z.int(), 'Targets checked on this page.'),
  NextCursor: described(z.optional(z.string()), 'Present when there are more targets: pass it as cursor (with the same body).'),
});
export type AffectedView = z.infer<typeof AffectedSchema>;

/** Deployments per day or week (the `frequency` route). */
export const FrequencySchema = z.object({ Interval: z.enum(INTERVALS), Buckets: z.array(BucketSchema) });
export type FrequencyView = z.infer<typeof FrequencySchema>;

/** A feed the caller may view, with what the caller may do on it. */
export const FeedViewSchema = z.object({
  Name: z.string(),
  Privileges: described(z.array(z.string()), `What the caller may do on the feed, of ${PRIVILEGES.join(', ')}.`),
  RetainDays: described(
    z.optional(z.int()),
    "How many days after their Date the feed's history records are kept (a target's current record is kept whatever its age); absent: forever.",
  ),
});
export type FeedView = z.infer<typeof FeedViewSchema>;

/** The feeds the caller may view (the `feeds` route). */
export const FeedsSchema = z.object({ Items: z.array(FeedViewSchema) });
export type FeedsView = z.infer<typeof FeedsSchema>;

/** The record's Change, or `backdated`: a record dated before the target's current one, which it did not change. */
export const EVENT_CHANGES = [...CHANGES, 'backdated'] as const;
export type EventChange = (typeof EVENT_CHANGES)[number];

/** The event's detail: the record as the read API returns it, plus what it changed (Region is the record's own). */
export const EventDetailSchema = z.extend(DeploymentViewSchema, {
  PreviousVersion: described(z.optional(z.string()), 'The version the target ran before; absent on a first deployment and on a backdated record.'),
  Change: described(
    z.enum(EVENT_CHANGES),
    `deployed (first on the target), upgraded / rolledback (a higher / lower version than PreviousVersion), redeployed (the same version), changed (versions that cannot be ordered), backdated (a record dated before the target's current one, which it did not change). Versions are ordered as in ${ROUTES.current.path}.`,
  ),
});
export type EventDetail = z.infer<typeof EventDetailSchema>;

/** A deployment event, on the stack's EventBridge bus (as its detail) and to a feed's webhooks (docs/events.md). */
export const DeploymentEventSchema = z.object({
  id: described(z.string(), "The record's Id: the same on every redelivery of this event; deduplicate on it."),
  source: z.literal(EVENT_SOURCE),
  'detail-type': described(
    z.string(),
    'CDEvents name by Change: deployed, redeployed and backdated -> dev.cdevents.service.deployed; upgraded and changed -> dev.cdevents.service.upgraded; rolledback -> dev.cdevents.service.rolledback.',
  ),
  time: described(z.string(), 'When the service received the record (ISO 8601, UTC).'),
  region: described(z.string(), 'The AWS region that received the record (the only one that announces it).'),
  detail: EventDetailSchema,
});
export type DeploymentEvent = z.infer<typeof DeploymentEventSchema>;

/** An RFC 9457 problem document (application/problem+json), as lib/http/responses.ts answers errors. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: described(z.string(), 'What was wrong, naming the field.'),
  errors: z.optional(z.array(z.object({ field: z.string(), detail: z.string() }))),
  requestId: z.optional(z.string()),
});

/** A delivery to a webhook whose format is slack. */
export const SlackMessageSchema = z.object({
  text: described(
    z.string(),
    "Slack mrkdwn, one line: the package and version, the change, the target, the previous version, who, the region, the feed and the record's Date, and the record's Url as a <Url|details> link when it has one.",
  ),
});
export type SlackMessage = z.infer<typeof SlackMessageSchema>;
