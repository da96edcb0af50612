import * as z from '../domain/zod.ts';
import { RECORD_PRIVILEGE, VIEW_PRIVILEGE } from '../domain/auth.ts';
import { DeploymentSchema, FIELD_LIMITS, NAME_FIELDS, type FieldName } from '../domain/deployment.ts';
import { DORA_DEFAULT_DAYS, DORA_MAX_DAYS } from '../domain/dora.ts';
import { MAX_BUCKETS } from '../domain/frequency.ts';
import {
  CurrentQuerySchema,
  DEFAULT_LIMIT,
  DoraQuerySchema,
  FrequencyQuerySchema,
  HistoryQuerySchema,
  MAX_LIMIT,
  OverviewQuerySchema,
} from '../domain/queries.ts';
import {
  CurrentPageSchema,
  AffectedPackageSchema,
  AffectedRecordSchema,
  AffectedSchema,
  CurrentViewSchema,
  DeploymentEventSchema,
  DeploymentViewSchema,
  DoraSchema,
  type DoraView,
  EVENT_CHANGES,
  FeedsSchema,
  FrequencySchema,
  OverviewSchema,
  PackageOverviewSchema,
  PageSchema,
  ProblemSchema,
  SlackMessageSchema,
} from '../domain/views.ts';
import { documentedPath, ROUTE_IDS, ROUTES, type DocumentedRoute } from '../domain/routes.ts';
import { AdvisoryQuerySchema, AFFECTED_DEFAULT_LIMIT, AFFECTED_MAX_LIMIT, AffectedQuerySchema } from './affected.ts';
import { MAX_ADVISORY_BYTES } from '../domain/osv.ts';

/**
 * The API's OpenAPI 3.1 description, generated from the zod schemas that validate requests (their fields, which are
 * required, their limits) and from those of the responses (lib/domain/views.ts, whose types the handlers build).
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
  Status:
    'Succeeded (the default) or Failed, case-insensitive. A Failed deployment is history only: the target keeps its current version, and the overview shows the attempt as LastAttempt. Counted by the dora route.',
  CommitSha: "The deployed change's commit id: 7 to 64 hexadecimal digits (stored lower-case).",
  CommitTime: 'When the deployed change was committed (ISO 8601, not after Date nor the time received): lead time for changes runs from it to Date.',
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
for (const [schema, id] of [
  [DeploymentViewSchema, 'Deployment'],
  [PageSchema, 'DeploymentPage'],
  [CurrentViewSchema, 'CurrentDeployment'],
  [CurrentPageSchema, 'CurrentPage'],
  [PackageOverviewSchema, 'PackageOverview'],
  [OverviewSchema, 'Overview'],
  [AffectedRecordSchema, 'AffectedDeployment'],
  [AffectedPackageSchema, 'AffectedPackage'],
  [AffectedSchema, 'Affected'],
  [FrequencySchema, 'Frequency'],
  [DoraSchema, 'Dora'],
  [FeedsSchema, 'Feeds'],
  [ProblemSchema, 'Problem'],
  [DeploymentEventSchema, 'DeploymentEvent'],
  [SlackMessageSchema, 'SlackMessage'],
] as const) {
  responses.add(schema, { id });
}

const webhookHeader = (name: string, description: string) => ({ name, in: 'header', required: true, schema: { type: 'string' }, description });

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const jsonContent = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problems = (statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: ref('Problem') } } }]),
  );

/** What the read endpoints' own checks add to a query parameter (see HistoryQuerySchema's refinements). */
const QUERY_NOTES: Record<string, string> = {
  Version: ` On ${ROUTES.history.path}: needs PackageName.`,
  GroupName: ` On ${ROUTES.history.path}: needs PackageName.`,
  Target: ` On ${ROUTES.history.path}: cannot be combined with PackageName.`,
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
const DORA_NOTES: Record<string, string> = {
  GroupName: ' Needs PackageName.',
  PackageName: ' Only this package.',
  Target: ' Only this target; with PackageName, that package on that target.',
  Region: ' Only what this AWS region recorded (matched case-insensitively).',
  from: ` Here: the first UTC day counted (its date). Default: ${DORA_DEFAULT_DAYS - 1} days before to.`,
  to: ` Here: the last UTC day counted (its date). Default: today. At most ${DORA_MAX_DAYS} days per request.`,
};

/** The worked example of docs/api.md (feed Shop, 2026-11-01 to 2026-11-10), which test/integration/dora.test.ts records and asks. */
export const DORA_EXAMPLE = {
  From: '2026-11-01T00:00:00.000Z',
  To: '2026-11-10T23:59:59.999Z',
  Deployments: 13,
  DeploymentFrequency: { PerDay: 1.3, DaysWithDeployment: 9, Rating: 'elite' },
  LeadTimeForChanges: { MedianSeconds: 5400, P90Seconds: 86400, Count: 8, Rating: 'elite' },
  ChangeFailureRate: { Rate: 0.385, Failed: 5, Total: 13, Rating: 'low' },
  TimeToRestore: { MedianSeconds: 7200, Count: 3, Rating: 'high' },
} as const satisfies DoraView;

const FREQUENCY_NOTES: Record<string, string> = {
  GroupName: ' Needs PackageName.',
  PackageName: ' Only this package.',
  Target: ' Only this target; with PackageName, that package on that target.',
  from: ' Here: the first day counted (its UTC date; widened to its Monday for weeks). Default: 30 days or 12 weeks before to.',
  to: ' Here: the last day counted (its UTC date; widened to its Sunday for weeks). Default: today.',
  interval: `day or week (default; weeks start Monday UTC). At most ${MAX_BUCKETS.day} days or ${MAX_BUCKETS.week} weeks per request.`,
};

const AFFECTED_NOTES: Record<string, string> = {
  GroupName: ' Only the package of this group.',
  Range:
    'The versions affected: NuGet interval notation ([1.0,13.0.1), (,13.0.1), [1.2.3], [1.0,)) or an npm semver range (<13.0.1, >=1.0.0 <1.2.6 || <0.2.4, ^1.2.0, =1.2.3 || =1.2.4). Prereleases are never skipped (13.0.1-beta1 is below 13.0.1). A bare version is refused (NuGet reads it as >=, npm as =).',
  Target: ' Only this target (case-insensitively).',
  Region: 'Only targets whose current record was received in this AWS region (case-insensitively).',
  limit: ` Here: targets read per page, 1 to ${AFFECTED_MAX_LIMIT} (default ${AFFECTED_DEFAULT_LIMIT}); keep reading while NextCursor is present.`,
};
const AFFECTED_QUERY_SCHEMAS = { limit: { type: 'string', pattern: '^[0-9]{1,5}$' } };

const EXAMPLE_ADVISORY = {
  id: 'GHSA-5crp-9r3c-p9vr',
  summary: 'Improper Handling of Exceptional Conditions in Newtonsoft.Json',
  affected: [{ package: { ecosystem: 'NuGet', name: 'Newtonsoft.Json' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '13.0.1' }] }] }],
};
const EXAMPLE_ANSWER = {
  Advisory: 'GHSA-5crp-9r3c-p9vr',
  Packages: [
    {
      PackageName: 'Newtonsoft.Json',
      Ecosystem: 'NuGet',
      Matching: 'range',
      Affected: [
        {
          Id: '01JD3Q7Z8N6Y1V2W3X4Y5Z6A7B',
          FeedName: 'DefaultNuGet',
          PackageName: 'Newtonsoft.Json',
          Version: '12.0.3',
          Target: 'localhost',
          Application: 'ProfitCalc',
          Description: 'Deployed by Custom Release Server',
          UserName: 'Anonymous',
          Date: '2026-12-01T10:00:00.000Z',
          ReceivedAt: '2026-12-01T10:00:00.000Z',
          Region: 'us-east-1',
          Change: 'deployed',
          FixedIn: '13.0.1',
        },
      ],
      Unaffected: 1,
      Unknown: [],
    },
  ],
  Checked: 2,
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

/** The recording route: ProGet's endpoint, its three body types from the validation schema. */
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

/** The read API's operations by route (lib/domain/routes.ts), their parameters from the query schemas. */
const readPaths = () => ({
  history: {
    get: {
      operationId: 'listDeployments',
      summary: "Deployment history, newest first: a package's (optionally one version's), a target's (Target), or a feed's recent activity.",
      security: FEED_SECURITY,
      parameters: queryParameters(HistoryQuerySchema),
      responses: { 200: { description: 'A page of records.', content: jsonContent('DeploymentPage') }, ...problems(READ_ERRORS) },
    },
  },
  current: {
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
  overview: {
    get: {
      operationId: 'deploymentOverview',
      summary:
        'Every package of a feed, in group and package order, with the current record on each target (and its region), the version each ran before, what changed, and whether the targets have drifted apart.',
      security: FEED_SECURITY,
      parameters: queryParameters(OverviewQuerySchema, OVERVIEW_NOTES),
      responses: { 200: { description: 'A page of packages.', content: jsonContent('Overview') }, ...problems(READ_ERRORS) },
    },
  },
  frequency: {
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
  dora: {
    get: {
      operationId: 'deploymentDora',
      summary:
        'The four DORA keys (deployment frequency, lead time for changes, change failure rate, time to restore) of a feed, a package, a target or a region, over whole UTC days, each with its rating from the 2023 Accelerate State of DevOps report.',
      description:
        'Read from per-day counters, so the cost grows with the days, not with the history. docs/api.md defines each number (a rollback fails the deployment it replaces; a median of an even count is the mean of the two middle values) and gives the rating thresholds; a number with no data is null.',
      security: FEED_SECURITY,
      parameters: queryParameters(DoraQuerySchema, DORA_NOTES),
      responses: {
        200: {
          description: 'The four keys.',
          content: {
            'application/json': { schema: ref('Dora'), examples: { workedExample: { summary: 'The worked example of docs/api.md', value: DORA_EXAMPLE } } },
          },
        },
        ...problems({
          ...READ_ERRORS,
          400: `A parameter is missing, unknown or invalid, or the range spans more than ${DORA_MAX_DAYS} days (\`detail\` says which).`,
        }),
      },
    },
  },
  affected: {
    get: {
      operationId: 'affectedByRange',
      summary: 'Which targets run a version of a package in a range: the current record of every target (every region) whose version is in Range.',
      description:
        "Reads the package's current items only, never its history. Versions are ordered as the range's spelling says (NuGet: four parts, prerelease labels case-insensitive; npm: SemVer 2.0); build metadata is ignored.",
      security: FEED_SECURITY,
      parameters: queryParameters(AffectedQuerySchema, AFFECTED_NOTES).map((p) => ({
        ...p,
        schema: { ...p.schema, ...(AFFECTED_QUERY_SCHEMAS as Record<string, object>)[p.name] },
        ...(p.name === 'Range' ? { example: '(,13.0.1)' } : p.name === 'PackageName' ? { example: 'Newtonsoft.Json' } : {}),
      })),
      responses: {
        200: {
          description: 'The targets, sorted into Affected, Unaffected and Unknown.',
          content: {
            'application/json': {
              schema: ref('Affected'),
              example: {
                ...EXAMPLE_ANSWER,
                Advisory: null,
                Packages: EXAMPLE_ANSWER.Packages.map(({ Ecosystem: _e, ...p }) => ({ ...p, Affected: p.Affected.map(({ FixedIn: _f, ...r }) => r) })),
              },
            },
          },
        },
        ...problems({
          ...READ_ERRORS,
          400: 'A parameter is missing, unknown or invalid; Range is a bare version (say <, >=, = or an interval) or cannot be parsed (`detail` says which).',
          405: 'Only GET, HEAD and POST are allowed here.',
        }),
      },
    },
    post: {
      operationId: 'affectedByAdvisory',
      summary: 'Which targets run a version an OSV advisory (schema 1.x: GitHub Advisory Database, osv.dev) names as affected, for every package it names.',
      description: `affected[].package.{ecosystem,name}, ranges[] of type ECOSYSTEM or SEMVER (introduced, fixed, last_affected, limit) and versions[] are read; GIT ranges and other fields are ignored. NuGet and npm ECOSYSTEM ranges and SEMVER ranges are matched by version order; other ecosystems by versions[] only (Matching: versions-list). Package names are matched as the feed folds them (case-insensitively); an npm @scope/name also as GroupName @scope or scope with PackageName name. At most ${MAX_ADVISORY_BYTES} bytes, nesting 32 levels, 50 packages, 1000 ranges, 10000 events, 50000 versions.`,
      security: FEED_SECURITY,
      parameters: queryParameters(AdvisoryQuerySchema, AFFECTED_NOTES).map((p) => ({
        ...p,
        schema: { ...p.schema, ...(AFFECTED_QUERY_SCHEMAS as Record<string, object>)[p.name] },
      })),
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['affected'] }, example: EXAMPLE_ADVISORY } } },
      responses: {
        200: {
          description: 'Per package of the advisory, its targets sorted into Affected (with FixedIn), Unaffected and Unknown.',
          content: { 'application/json': { schema: ref('Affected'), example: EXAMPLE_ANSWER } },
        },
        ...problems({
          ...READ_ERRORS,
          400: 'A parameter is invalid, or the advisory is malformed: `errors` name each JSON path (affected[0].ranges[1].events[0]).',
          405: 'Only GET, HEAD and POST are allowed here.',
          413: `The advisory is over ${MAX_ADVISORY_BYTES} bytes.`,
          415: 'The Content-Type is not JSON.',
        }),
      },
    },
  },
  feeds: {
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

/**
 * The document's paths: each documented route of lib/domain/routes.ts at its path, with its operations (one per
 * method; a route without operations is a compile error, and a unit test checks their methods against the route's).
 */
const documentedPaths = () => {
  const operations: Record<DocumentedRoute, Record<string, unknown>> = { record: recordPath(), ...readPaths() };
  return Object.fromEntries(ROUTE_IDS.filter((id): id is DocumentedRoute => ROUTES[id].documented).map((id) => [documentedPath(ROUTES[id]), operations[id]]));
};

export const openApiDocument = (): Record<string, unknown> => ({
  openapi: '3.1.0',
  info: {
    title: 'Package Deployment API',
    version: '1.0.0',
    description: "A drop-in replacement for ProGet's Package Deployment API, with a read API for deployment history and the current version on each target.",
  },
  paths: documentedPaths(),
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
