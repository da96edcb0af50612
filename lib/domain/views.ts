import { PRIVILEGES } from './auth.ts';
import { EVENT_SOURCE } from './events.ts';
import { STATUSES } from './deployment.ts';
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
  TrustPolicy: described(
    z.optional(z.string()),
    'Present when an identity token (Bearer) recorded it: the id of the feed trust policy it satisfied (see trust list).',
  ),
  Status: described(
    z.optional(z.enum(STATUSES)),
    "As sent (absent when not sent: the deployment succeeded). A Failed deployment never became its target's current version.",
  ),
  CommitSha: described(z.optional(z.string()), "The deployed change's commit id, lower-case, as sent."),
  CommitTime: described(z.optional(z.string()), 'When the deployed change was committed (ISO 8601, UTC), as sent: lead time runs from it to Date.'),
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
  LastAttempt: described(
    z.optional(z.object({ Version: z.string(), Status: z.enum(STATUSES), Date: z.string(), Id: z.string() })),
    "Present when a deployment to the target failed after this record (Status Failed): the latest such attempt. The target still runs this record's Version; the next succeeded deployment clears it.",
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
  Failed: described(z.int(), 'How many of them failed: Status Failed, or rolled back by the next deployment on their target (see /api/deployments/dora).'),
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

const rating = () =>
  described(
    z.nullable(z.enum(['elite', 'high', 'medium', 'low'])),
    "The 2023 Accelerate State of DevOps report's performance cluster this value falls in (thresholds in docs/api.md); null without data.",
  );
const seconds = (what: string) =>
  described(
    z.nullable(z.number()),
    `${what}, in seconds (3 decimals); null without data. Exact unless a day and region three days ago or earlier holds more than 32 such times; then within 2%.`,
  );

/** The four DORA keys over whole UTC days (GET /api/deployments/dora); docs/api.md defines each number. */
export const DoraSchema = z.object({
  From: described(z.string(), 'The first instant counted: the start of the UTC day of from.'),
  To: described(z.string(), 'The last instant counted: the end of the UTC day of to.'),
  Deployments: described(z.int(), 'Records dated in the range, failed ones included.'),
  DeploymentFrequency: z.object({
    PerDay: described(z.nullable(z.number()), 'Deployments per day of the range (3 decimals); null when there are none.'),
    DaysWithDeployment: described(z.int(), 'UTC days of the range with at least one deployment.'),
    Rating: rating(),
  }),
  LeadTimeForChanges: z.object({
    MedianSeconds: seconds('The median of Date - CommitTime over succeeded deployments that carry CommitTime'),
    P90Seconds: seconds('The 90th percentile (nearest rank) of the same'),
    Count: described(z.int(), 'How many deployments have a lead time.'),
    Rating: rating(),
  }),
  ChangeFailureRate: z.object({
    Rate: described(z.nullable(z.number()), 'Failed / Total (3 decimals); null when Total is 0.'),
    Failed: described(z.int(), 'Deployments with Status Failed, or rolled back by the next deployment of the package on the target.'),
    Total: described(z.int(), 'Every deployment in the range (= Deployments).'),
    Rating: rating(),
  }),
  TimeToRestore: z.object({
    MedianSeconds: seconds('The median time from a failure to the next succeeded deployment that lands on the target'),
    Count: described(z.int(), 'How many restores landed in the range.'),
    Rating: rating(),
  }),
});
export type DoraView = z.infer<typeof DoraSchema>;

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

/**
 * The record's Change, or `backdated`: a record dated before the target's current one, which it did not change; or
 * `failed`: a deployment whose Status is Failed, which did not change the target either.
 */
export const EVENT_CHANGES = [...CHANGES, 'backdated', 'failed'] as const;
export type EventChange = (typeof EVENT_CHANGES)[number];

/** The event's detail: the record as the read API returns it, plus what it changed (Region is the record's own). */
export const EventDetailSchema = z.extend(DeploymentViewSchema, {
  PreviousVersion: described(z.optional(z.string()), 'The version the target ran before; absent on a first deployment and on a backdated record.'),
  Change: described(
    z.enum(EVENT_CHANGES),
    `deployed (first on the target), upgraded / rolledback (a higher / lower version than PreviousVersion), redeployed (the same version), changed (versions that cannot be ordered), backdated (a record dated before the target's current one, which it did not change), failed (Status Failed: the target still runs what it ran). Versions are ordered as in ${ROUTES.current.path}.`,
  ),
});
export type EventDetail = z.infer<typeof EventDetailSchema>;

/** A deployment event, on the stack's EventBridge bus (as its detail) and to a feed's webhooks (docs/events.md). */
export const DeploymentEventSchema = z.object({
  id: described(z.string(), "The record's Id: the same on every redelivery of this event; deduplicate on it."),
  source: z.literal(EVENT_SOURCE),
  'detail-type': described(
    z.string(),
    'CDEvents name by Change: deployed, redeployed and backdated -> dev.cdevents.service.deployed; upgraded and changed -> dev.cdevents.service.upgraded; rolledback -> dev.cdevents.service.rolledback; failed -> package-deployment-api.deployment.failed (a name of the service, as CDEvents has no failed deployment).',
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
