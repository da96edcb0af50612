import * as z from 'zod';
import { PRIVILEGES, RECORD_PRIVILEGE, VIEW_PRIVILEGE } from '../domain/auth.ts';
import { DeploymentSchema, FIELD_LIMITS, NAME_FIELDS, type FieldName } from '../domain/deployment.ts';
import { INTERVALS, MAX_BUCKETS } from '../domain/frequency.ts';
import { CurrentQuerySchema, DEFAULT_LIMIT, FrequencyQuerySchema, HistoryQuerySchema, MAX_LIMIT, OverviewQuerySchema } from '../domain/queries.ts';
import type { CurrentView, DeploymentView, PackageOverview } from '../domain/record.ts';
import { CHANGES } from '../domain/versions.ts';
import { EVENT_SOURCE, type DeploymentEvent } from '../domain/events.ts';
import type { CurrentPageView, FeedView, FrequencyView, OverviewView, PageView } from './read.ts';

/**
 * The API's OpenAPI 3.1 description, generated from the zod schemas that validate requests (their fields, which are
 * required, their limits) and from zod schemas of the responses that are checked against the handlers' types below.
 */

/** A request schema (zod/mini, see lib/domain/zod.ts): an object schema with its fields. */
type ObjectSchema = z.core.$ZodType & { shape: Record<string, z.core.$ZodType> };

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

const FIELD_DESCRIPTIONS: Record<FieldName, string> = {
  FeedName: 'The feed the package comes from (matched case-insensitively).',
  GroupName: 'The package group, for package types that have one (e.g. npm scopes, Maven group ids).',
  PackageName: 'The package (matched case-insensitively).',
  Version: 'The version deployed.',
  Target: 'Where it was deployed: a server, environment or cluster (matched case-insensitively when read).',
  Application: 'The application that deployed it (e.g. the release tool).',
  Description: 'Free text, e.g. "Deployed by Custom Release Server"; may span lines.',
  UserName: "Who deployed it; defaults to the API key's user, the identity token's actor (GitHub) or user_login (GitLab), else its sub; or Anonymous.",
  Url: 'An absolute http:// or https:// link to the deployment (e.g. the pipeline run).',
  Date: 'When it was deployed: any ISO 8601 instant (no zone means UTC); defaults to the time received. Stored in UTC. A Date more than 5 minutes after the time received is kept but ordered by the time received (the answer says DateInFuture: true).',
};

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  from: 'Only records deployed at or after this ISO 8601 instant.',
  to: 'Only records deployed at or before this ISO 8601 instant.',
  limit: `Records per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}). A page of large records may hold fewer; keep reading while NextCursor is present.`,
  cursor: "The previous page's NextCursor, to read the next page (with the same other parameters).",
};

/** A request schema as JSON Schema, with what zod's input side cannot express: required names, limits, descriptions. */
const requestSchema = (schema: ObjectSchema, options: { numbers: boolean }): JsonSchema => {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const [name, fieldSchema] of Object.entries(schema.shape)) {
    const field = name as FieldName;
    const limit = FIELD_LIMITS[field] as number | undefined;
    const base = FIELD_DESCRIPTIONS[field] ?? PARAMETER_DESCRIPTIONS[name];
    const description = base && NAME_FIELDS.has(field) ? `${base} No invisible format characters (Unicode category Cf, e.g. U+200B, U+202E, U+FEFF).` : base;
    properties[name] = {
      ...generated.properties?.[name],
      ...(options.numbers && limit !== undefined ? { type: ['string', 'number'] } : {}),
      ...(limit !== undefined ? { maxLength: limit } : {}),
      ...(description ? { description } : {}),
    };
    // Required is what the schema itself refuses to leave out.
    if (!z.safeParse(fieldSchema, undefined).success) required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
};

/** The response schemas, each named in components/schemas by its id. */
const responses = z.registry<{ id: string }>();

const DeploymentViewSchema = z
  .object({
    Id: z.string().describe('The record id (a ULID, unique across the service).'),
    FeedName: z.string(),
    GroupName: z.string().optional(),
    PackageName: z.string(),
    Version: z.string(),
    Target: z.string(),
    Application: z.string(),
    Description: z.string(),
    UserName: z.string(),
    Url: z.string().optional(),
    Date: z.string().describe('When it was deployed, ISO 8601 in UTC: the instant used (a Date sent without a zone was read as UTC).'),
    ReceivedAt: z.string().describe('When the service received it, ISO 8601 in UTC.'),
    DateInFuture: z
      .literal(true)
      .optional()
      .describe(
        'Present when Date lay more than 5 minutes after ReceivedAt: the record is kept with its Date but ordered by ReceivedAt (in histories, for the current version per target, and for from/to), so a wrong clock cannot own the present.',
      ),
    Region: z.string().describe('The AWS region that received it.'),
    TrustPolicy: z
      .string()
      .optional()
      .describe('Present when an identity token (Bearer) recorded it: the id of the feed trust policy it satisfied (see trust list).'),
  })
  .register(responses, { id: 'Deployment' });

export const PageSchema = z
  .object({
    Items: z.array(DeploymentViewSchema),
    NextCursor: z.string().optional().describe('Present when there are more records: pass it as cursor.'),
  })
  .register(responses, { id: 'DeploymentPage' });

export const CurrentViewSchema = DeploymentViewSchema.extend({
  PreviousVersion: z.string().optional().describe('The version the target ran before this record; absent on a first deployment.'),
  Change: z
    .enum(CHANGES)
    .describe(
      'What this deployment did to the target: deployed (first deployment), upgraded (a higher version than PreviousVersion), rolledback (a lower one), redeployed (the same version), changed (versions that cannot be ordered). Versions are ordered as SemVer 2.0, NuGet four-part versions and dotted numbers (numeric parts as numbers, a leading v ignored).',
    ),
}).register(responses, { id: 'CurrentDeployment' });

export const CurrentPageSchema = z
  .object({
    Items: z.array(CurrentViewSchema),
    NextCursor: z.string().optional().describe('Present when there are more targets: pass it as cursor.'),
  })
  .register(responses, { id: 'CurrentPage' });

export const PackageOverviewSchema = z
  .object({
    GroupName: z.string().optional(),
    PackageName: z.string(),
    Versions: z.array(z.string()).describe("The distinct versions the package's targets (those shown) run, highest first."),
    Drift: z.boolean().describe('True when the targets shown run different versions (spellings of one version, such as 1.0 and 1.0.0, are not drift).'),
    Targets: z.array(CurrentViewSchema).describe("Each target's current record, in target order."),
  })
  .register(responses, { id: 'PackageOverview' });

export const OverviewSchema = z
  .object({
    Packages: z.array(PackageOverviewSchema),
    NextCursor: z.string().optional().describe('Present when there are more packages: pass it as cursor.'),
  })
  .register(responses, { id: 'Overview' });

export const FrequencySchema = z
  .object({
    Interval: z.enum(INTERVALS),
    Buckets: z.array(
      z.object({
        Start: z.string().describe('The first day of the bucket (YYYY-MM-DD, UTC; a Monday for weeks).'),
        Count: z.number().int().describe('Deployments recorded with a Date in the bucket, in every region.'),
      }),
    ),
  })
  .register(responses, { id: 'Frequency' });

export const FeedsSchema = z
  .object({
    Items: z.array(
      z.object({ Name: z.string(), Privileges: z.array(z.string()).describe(`What the caller may do on the feed, of ${PRIVILEGES.join(', ')}.`) }),
    ),
  })
  .register(responses, { id: 'Feeds' });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What was wrong, naming the field.'),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .register(responses, { id: 'Problem' });

const EVENT_CHANGES = [...CHANGES, 'backdated'] as const;
export const DeploymentEventSchema = z
  .object({
    id: z.string().describe("The record's Id: the same on every redelivery of this event; deduplicate on it."),
    source: z.literal(EVENT_SOURCE),
    'detail-type': z
      .string()
      .describe(
        'CDEvents name by Change: deployed, redeployed and backdated -> dev.cdevents.service.deployed; upgraded and changed -> dev.cdevents.service.upgraded; rolledback -> dev.cdevents.service.rolledback.',
      ),
    time: z.string().describe('When the service received the record (ISO 8601, UTC).'),
    region: z.string().describe('The AWS region that received the record (the only one that announces it).'),
    detail: DeploymentViewSchema.extend({
      PreviousVersion: z.string().optional().describe('The version the target ran before; absent on a first deployment and on a backdated record.'),
      Change: z
        .enum(EVENT_CHANGES)
        .describe(
          "deployed (first on the target), upgraded / rolledback (a higher / lower version than PreviousVersion), redeployed (the same version), changed (versions that cannot be ordered), backdated (a record dated before the target's current one, which it did not change). Versions are ordered as in /api/deployments/current.",
        ),
    }),
  })
  .register(responses, { id: 'DeploymentEvent' });

export const SlackMessageSchema = z
  .object({
    text: z
      .string()
      .describe(
        "Slack mrkdwn, one line: the package and version, the change, the target, the previous version, who, the region, the feed and the record's Date, and the record's Url as a <Url|details> link when it has one.",
      ),
  })
  .register(responses, { id: 'SlackMessage' });

// The response schemas describe exactly what the handlers return (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exact = <T extends true>(): T => true as T;
exact<Same<z.output<typeof DeploymentViewSchema>, DeploymentView>>();
exact<Same<z.output<typeof PageSchema>, PageView>>();
exact<Same<z.output<typeof FeedsSchema>, { Items: FeedView[] }>>();
exact<Same<z.output<typeof CurrentViewSchema>, CurrentView>>();
exact<Same<z.output<typeof CurrentPageSchema>, CurrentPageView>>();
exact<Same<z.output<typeof PackageOverviewSchema>, PackageOverview>>();
exact<Same<z.output<typeof OverviewSchema>, OverviewView>>();
exact<Same<z.output<typeof FrequencySchema>, FrequencyView>>();
exact<Same<z.output<typeof DeploymentEventSchema>, DeploymentEvent>>();

const webhookHeader = (name: string, description: string) => ({ name, in: 'header', required: true, schema: { type: 'string' }, description });

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const jsonContent = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problems = (statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: ref('Problem') } } }]),
  );

/** What the read endpoints' own checks add to a query parameter (see HistoryQuerySchema's refinements). */
const QUERY_NOTES: Record<string, string> = {
  Version: ' On /api/deployments: needs PackageName.',
  GroupName: ' On /api/deployments: needs PackageName.',
  Target: ' On /api/deployments: cannot be combined with PackageName.',
};
const QUERY_SCHEMAS: Record<string, Record<string, unknown>> = {
  limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
};

const queryParameters = (schema: ObjectSchema, notes: Record<string, string> = QUERY_NOTES) => {
  const s = requestSchema(schema, { numbers: false });
  return Object.entries(s.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: s.required?.includes(name) ?? false,
      description: `${String(description ?? '')}${notes[name] ?? ''}`.trim(),
      schema: { ...rest, ...QUERY_SCHEMAS[name] },
    };
  });
};

/** The overview's parameters: filters on the targets shown, and a limit counting packages. */
const OVERVIEW_NOTES: Record<string, string> = {
  GroupName: ' Only the packages of this group.',
  Target: ' Only this target (case-insensitively); packages not deployed to it are left out.',
  Region: 'Only targets whose current record was received in this AWS region (case-insensitively).',
  Application: ' Only targets whose current record came from this application (case-insensitively).',
  limit: ` Here: packages per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); a page never splits a package's targets, and may hold fewer packages when filters leave out many (keep reading while NextCursor is present).`,
};
const FREQUENCY_NOTES: Record<string, string> = {
  GroupName: ' Needs PackageName.',
  PackageName: ' Only this package.',
  Target: ' Only this target; with PackageName, that package on that target.',
  from: ' Here: the first day counted (its UTC date; widened to its Monday for weeks). Default: 30 days or 12 weeks before to.',
  to: ' Here: the last day counted (its UTC date; widened to its Sunday for weeks). Default: today.',
  interval: `day or week (default; weeks start Monday UTC). At most ${MAX_BUCKETS.day} days or ${MAX_BUCKETS.week} weeks per request.`,
};

const READ_ERRORS = {
  400: 'A parameter is missing, unknown or invalid (`detail` names it).',
  403: `The API key is unknown, revoked or expired, or an identity token fails a check (\`detail\` says which, in general terms), or the caller lacks ${VIEW_PRIVILEGE} on the feed.`,
  404: 'The feed does not exist.',
  405: 'Only GET (and HEAD, which answers as GET without a body) is allowed.',
  503: "The store, or an identity token's issuer, is unavailable; retry after Retry-After seconds.",
};

const SECURITY = [{ apiKeyHeader: [] }, { basic: [] }, { apiKeyQuery: [] }, {}];
/** Requests that name a feed also take an identity token that satisfies one of the feed's trust policies. */
const FEED_SECURITY = [{ apiKeyHeader: [] }, { basic: [] }, { apiKeyQuery: [] }, { bearer: [] }, {}];

/** The response schemas registered above, as OpenAPI components (JSON Schema 2020-12 without $schema and $id). */
const componentSchemas = () => {
  const schemas = z.toJSONSchema(responses, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` }).schemas;
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
};

/** POST /api/package-deployment/: ProGet's endpoint, its three body types from the validation schema. */
const recordPath = () => {
  const body = requestSchema(DeploymentSchema, { numbers: true });
  const form = { ...body, properties: Object.fromEntries(Object.entries(body.properties ?? {}).map(([k, v]) => [k, { ...v, type: 'string' }])) };
  return {
    post: {
      operationId: 'recordDeployment',
      summary: "Record a deployment (ProGet's endpoint; the path also answers without the trailing slash).",
      description: `Needs ${RECORD_PRIVILEGE} on the feed (an API key's, or anonymous users' where the feed grants it). Field names match case-insensitively; values are trimmed. A body without Content-Type is read as JSON if it starts with "{", else as a form.`,
      security: FEED_SECURITY,
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Makes retries safe for 24 hours: the same key and body return the first response (Idempotent-Replayed: true) and store nothing new.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: body },
          'application/x-www-form-urlencoded': { schema: form },
          'multipart/form-data': { schema: form },
        },
      },
      responses: {
        200: { description: 'Stored; the stored record.', content: jsonContent('Deployment') },
        ...problems({
          400: 'The body is invalid (`detail` and `errors` name each field).',
          403: `The API key is unknown, revoked or expired, or an identity token fails a check (\`detail\` says which, in general terms), or the caller lacks ${RECORD_PRIVILEGE} on the feed.`,
          404: 'The feed does not exist.',
          405: 'Only POST is allowed (the response has Allow).',
          409: 'A request with the same Idempotency-Key is still in progress; retry after Retry-After.',
          413: 'The body is over 64 KB.',
          415: 'The Content-Type or charset is not one of JSON, form or multipart in UTF-8 or ISO-8859-1.',
          422: 'The Idempotency-Key was used with a different body.',
          503: "The store, or an identity token's issuer, is unavailable; retry after Retry-After seconds, with the same Idempotency-Key to be sure of one record.",
        }),
      },
    },
  };
};

/** The read API's paths, their parameters from the query schemas. */
const readPaths = () => ({
  '/api/deployments': {
    get: {
      operationId: 'listDeployments',
      summary: "Deployment history, newest first: a package's (optionally one version's), a target's (Target), or a feed's recent activity.",
      security: FEED_SECURITY,
      parameters: queryParameters(HistoryQuerySchema),
      responses: { 200: { description: 'A page of records.', content: jsonContent('DeploymentPage') }, ...problems(READ_ERRORS) },
    },
  },
  '/api/deployments/current': {
    get: {
      operationId: 'currentDeployments',
      summary: 'For each target of a package, the latest deployment by Date (a backdated record never replaces a newer one), in target order.',
      security: FEED_SECURITY,
      parameters: queryParameters(CurrentQuerySchema),
      responses: {
        200: { description: 'A page of records, one per target, with the version each ran before.', content: jsonContent('CurrentPage') },
        ...problems(READ_ERRORS),
      },
    },
  },
  '/api/deployments/overview': {
    get: {
      operationId: 'deploymentOverview',
      summary:
        'Every package of a feed, in group and package order, with the current record on each target (and its region), the version each ran before, what changed, and whether the targets have drifted apart.',
      security: FEED_SECURITY,
      parameters: queryParameters(OverviewQuerySchema, OVERVIEW_NOTES),
      responses: { 200: { description: 'A page of packages.', content: jsonContent('Overview') }, ...problems(READ_ERRORS) },
    },
  },
  '/api/deployments/frequency': {
    get: {
      operationId: 'deploymentFrequency',
      summary: "Deployments per day or per week (Monday UTC), zero buckets included, in every region: DORA's deployment frequency.",
      description:
        'A record counts on the UTC day it is ordered by: its Date (a backdated record on the day it says), or the day it was received for a Date in the future. Read from per-day counters, so the cost does not grow with the history.',
      security: FEED_SECURITY,
      parameters: queryParameters(FrequencyQuerySchema, FREQUENCY_NOTES),
      responses: {
        200: { description: 'The buckets, oldest first.', content: jsonContent('Frequency') },
        ...problems({
          ...READ_ERRORS,
          400: `A parameter is missing, unknown or invalid, or the range spans more than ${MAX_BUCKETS.day} days or ${MAX_BUCKETS.week} weeks (\`detail\` says which).`,
        }),
      },
    },
  },
  '/api/feeds': {
    get: {
      operationId: 'listFeeds',
      summary: 'The feeds the caller may view, with the privileges the caller has on each.',
      security: SECURITY,
      responses: {
        200: { description: 'The feeds.', content: jsonContent('Feeds') },
        ...problems({
          400: 'A query parameter was given (only key is accepted).',
          403: 'The API key is unknown, revoked or expired, or an identity token was sent (it is accepted only on requests naming a feed).',
          405: READ_ERRORS[405],
          503: 'The store is unavailable; retry after Retry-After seconds.',
        }),
      },
    },
  },
});

/** OpenAPI 3.1 `webhooks`: what the service POSTs to each webhook of a feed (docs/events.md). */
const webhookOperation = () => ({
  post: {
    summary: 'A new deployment record (one per record, at least once)',
    description:
      "POSTed to each webhook of the record's feed (`npm run -s admin -- webhooks add`). The same event goes to the stack's EventBridge bus (source package-deployment-api, detail = the `detail` below). Verify X-Deployment-Signature-256 over the raw body before parsing it. Sent with User-Agent package-deployment-api-webhooks; only the status of the answer is read. A 2xx takes the delivery; 5xx, 429 (Retry-After honoured) and timeouts (5 s per attempt) are retried with backoff, at most 5 attempts within 30 s, then dead-lettered; other answers (redirects are not followed) are dead-lettered at once.",
    parameters: [
      webhookHeader('X-Deployment-Event', `The Change: ${EVENT_CHANGES.join(', ')}.`),
      webhookHeader('X-Deployment-Id', "The event's id (the record's Id)."),
      webhookHeader('X-Deployment-Delivery', 'A unique id per delivery attempt.'),
      webhookHeader('X-Deployment-Signature-256', "sha256= and the hex HMAC-SHA256 of the raw body, keyed with the webhook's secret (GitHub's scheme)."),
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { oneOf: [ref('DeploymentEvent'), ref('SlackMessage')] } } },
    },
    responses: {
      '2XX': { description: 'Delivered.' },
      '429': { description: 'Tried again after Retry-After (within the retry budget).' },
      '5XX': { description: 'Tried again with backoff (within the retry budget), then dead-lettered.' },
    },
  },
});

export const openApiDocument = (): Record<string, unknown> => ({
  openapi: '3.1.0',
  info: {
    title: 'Package Deployment API',
    version: '1.0.0',
    description: "A drop-in replacement for ProGet's Package Deployment API, with a read API for deployment history and the current version on each target.",
  },
  paths: { '/api/package-deployment/': recordPath(), ...readPaths() },
  webhooks: { deploymentEvent: webhookOperation() },
  components: {
    schemas: componentSchemas(),
    securitySchemes: {
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-ApiKey', description: 'A ProGet-style API key.' },
      basic: { type: 'http', scheme: 'basic', description: 'User "api", the API key as password.' },
      apiKeyQuery: { type: 'apiKey', in: 'query', name: 'key', description: 'The API key in the query string (ProGet accepts it; prefer the header).' },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          "An OpenID Connect identity token from a CI platform (GitHub Actions, GitLab CI), signed RS256 or ES256, that satisfies one of the feed's trust policies (issuer, audience, claims, lifetime); instead of an API key, never with one. An issuer that cannot be reached is a 503.",
      },
    },
  },
});
