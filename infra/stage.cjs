'use strict';
/**
 * Stage settings for serverless.yml, read from its parameters (`params:` defaults, or `--param name=value`) and
 * checked when the template is packaged, so that a typo fails `npm run package` instead of a deployment.
 *
 * Each export is a variable resolver: serverless.yml reads it as `${file(./infra/stage.cjs):name}` (osls and
 * Serverless v4 both call the function with `resolveVariable`). CommonJS, so that any Serverless version can
 * require it; the parsing itself is in plain functions below, unit-tested without a framework.
 */

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
/** CloudWatch Logs' allowed retention periods (PutRetentionPolicy). */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/**
 * Stage names that mean production: deletion protection is on unless the `deletionProtection` parameter says otherwise.
 * prod, production, prd or live as any `-`, `_` or `.` separated part of the name (prod, prod-eu, eu-prod, eu.live.2),
 * but not inside a word (preprod, product).
 */
const PRODUCTION_STAGE = /(^|[-_.])(prod|production|prd|live)([-_.]|$)/i;

const fail = (message) => {
  throw new Error(`serverless.yml parameters: ${message}`);
};

/** Lambda's limit on a function name, which osls makes `${service}-${stage}-${function}`. */
const FUNCTION_NAME_MAX = 64;
/**
 * The characters a stage may have: Lambda function names allow letters, digits, - and _; DynamoDB table names
 * those and .; CloudFormation stack names (osls's `${service}-${stage}`) only letters, digits and -.
 */
const STAGE_NAME = /^[A-Za-z0-9-]+$/;

/**
 * The stage name, refused if a name made from it would be refused by AWS at deployment: a character a function,
 * table or stack name cannot have, or a function name (`${service}-${stage}-${function}`, unless the function sets
 * its own `name`) longer than Lambda's 64 characters. `functions` is serverless.yml's `functions` map.
 */
const checkStage = (stage, service, functions) => {
  const name = text(stage);
  if (!STAGE_NAME.test(name)) {
    throw new Error(
      `serverless.yml stage: "${name}" may have only letters, digits and hyphens (it is part of the Lambda function, ` +
        `DynamoDB table and CloudFormation stack names: ${service}-${name}).`,
    );
  }
  const names = Object.entries(functions ?? {}).map(([key, fn]) => text(fn && fn.name) || `${service}-${name}-${key}`);
  const tooLong = names.filter((n) => n.length > FUNCTION_NAME_MAX);
  if (tooLong.length > 0) {
    const longest = Math.max(...Object.keys(functions).map((key) => key.length));
    throw new Error(
      `serverless.yml stage: "${name}" is too long: Lambda function names have at most ${FUNCTION_NAME_MAX} characters, and ` +
        `${tooLong.map((n) => `${n} has ${n.length}`).join(', ')}. Use a stage name of at most ` +
        `${FUNCTION_NAME_MAX - service.length - longest - 2} characters.`,
    );
  }
  return name;
};

const text = (value) => (value === undefined || value === null ? '' : String(value).trim());

/** The listed regions (comma-separated; empty: the region deployed to). The first is the primary. */
const parseRegions = (raw, deployRegion) => {
  const list =
    text(raw) === ''
      ? [deployRegion]
      : text(raw)
          .split(',')
          .map((r) => r.trim());
  for (const region of list) {
    if (!REGION.test(region)) fail(`regions: "${region}" is not an AWS region name (e.g. eu-west-1).`);
  }
  if (new Set(list).size !== list.length) fail(`regions: a region is listed twice (${list.join(',')}).`);
  if (!list.includes(deployRegion)) {
    fail(`regions: this stack is deployed to ${deployRegion}, which is not listed (${list.join(',')}); add it or deploy to a listed region.`);
  }
  return list;
};

const parseInteger = (name, raw, min, max) => {
  const value = Number(text(raw));
  if (text(raw) === '' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name}: "${text(raw)}" must be an integer from ${min} to ${max}.`);
  }
  return value;
};

const parseRetention = (raw) => {
  const days = Number(text(raw));
  if (!RETENTION_DAYS.includes(days)) fail(`logRetentionInDays: "${text(raw)}" must be one of ${RETENTION_DAYS.join(', ')}.`);
  return days;
};

/** `auto` (on for stages named like production), `true` or `false`. */
const parseDeletionProtection = (raw, stage) => {
  const value = text(raw).toLowerCase();
  if (value === 'auto' || value === '') return PRODUCTION_STAGE.test(stage);
  if (value === 'true' || value === 'false') return value === 'true';
  return fail(`deletionProtection: "${text(raw)}" must be auto, true or false.`);
};

/** Off unless origins are listed (comma-separated, e.g. https://ci.example.com); `*` allows any origin. */
const parseCors = (raw) => {
  const origins =
    text(raw) === ''
      ? []
      : text(raw)
          .split(',')
          .map((o) => o.trim());
  if (origins.length === 0) return false;
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s,]+$/.test(origin))
      fail(`corsOrigins: "${origin}" must be * or a scheme and host such as https://ci.example.com.`);
  }
  return {
    allowedOrigins: origins,
    allowedMethods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-ApiKey', 'Idempotency-Key'],
    exposedResponseHeaders: ['Allow', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  };
};

/** One replica per listed region, each with point-in-time recovery, deletion protection (by condition) and tags. */
const replicaSpecs = (regions, stage) =>
  regions.map((region) => ({
    Region: region,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: { 'Fn::If': ['DeletionProtected', true, false] },
    Tags: [
      { Key: 'service', Value: 'package-deployment-api' },
      { Key: 'stage', Value: stage },
    ],
  }));

/** The front doors serverless.yml can deploy (see docs/deploying.md). */
const DOORS = ['httpApi', 'restApi', 'functionUrl'];
const parseDoor = (raw) => {
  const door = text(raw) === '' ? 'httpApi' : text(raw);
  if (!DOORS.includes(door)) fail(`door: "${door}" must be one of ${DOORS.join(', ')}.`);
  return door;
};

const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/;
/** A REGIONAL WAFv2 web ACL's ARN (API Gateway takes no CLOUDFRONT one), or empty; only for door=restApi. */
const parseWebAclArn = (raw, door) => {
  const arn = text(raw);
  if (arn === '') return '';
  if (door !== 'restApi') fail(`wafWebAclArn: WAF can be associated only with door=restApi (this stage's door is ${door}).`);
  if (!WEB_ACL_ARN.test(arn))
    fail(`wafWebAclArn: "${arn}" is not the ARN of a REGIONAL WAFv2 web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>).`);
  return arn;
};

/** VPC endpoint ids (vpce-...) for a private REST API, or none; only for door=restApi. */
const parseVpcEndpointIds = (raw, door) => {
  const ids =
    text(raw) === ''
      ? []
      : text(raw)
          .split(',')
          .map((id) => id.trim());
  if (ids.length === 0) return [];
  if (door !== 'restApi') fail(`privateVpcEndpointIds: only a REST API can be private (door=restApi; this stage's door is ${door}).`);
  for (const id of ids) if (!/^vpce-[0-9a-f]{8,17}$/.test(id)) fail(`privateVpcEndpointIds: "${id}" is not a VPC endpoint id (vpce-0123456789abcdef0).`);
  return ids;
};

/**
 * A private REST API's resource policy: invocations only through the listed VPC endpoints (AWS's documented
 * pattern: allow execute-api:Invoke, deny it unless aws:SourceVpce is one of them). None for a public API.
 */
const resourcePolicyFor = (ids) =>
  ids.length === 0
    ? []
    : [
        { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: ['execute-api:/*'] },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'execute-api:Invoke',
          Resource: ['execute-api:/*'],
          Condition: { StringNotEquals: { 'aws:SourceVpce': ids } },
        },
      ];

/**
 * Each function's paths: infra/routes.ts ROUTES without the trailing-slash twins (a unit test compares the packaged
 * routes with ROUTES; HTTP API's twins are in infra/cloudformation/door-httpApi.yml, REST API matches both).
 */
const FUNCTION_PATHS = {
  'record-deployment': ['/api/package-deployment'],
  'query-deployments': [
    '/api/deployments',
    '/api/deployments/current',
    '/api/deployments/overview',
    '/api/deployments/frequency',
    '/api/deployments/dora',
    '/api/feeds',
  ],
  site: ['/', '/api/openapi.json'],
};
/** A function's events for a door: HTTP API routes, REST API methods (`ANY`, Lambda proxy), none for function URLs. */
const eventsFor = (door, fn) => {
  const paths = FUNCTION_PATHS[fn] ?? fail(`events: no paths for function ${fn}.`);
  if (door === 'httpApi') return paths.map((path) => ({ httpApi: { method: '*', path } }));
  if (door === 'restApi') return paths.map((path) => ({ http: { method: 'any', path } }));
  return [];
};

const param = (resolveVariable, name) => resolveVariable(`param:${name}`);
const deployRegion = (resolveVariable) => resolveVariable('self:provider.region');
const stageName = (resolveVariable) => resolveVariable('sls:stage');

module.exports = {
  parseRegions,
  parseInteger,
  parseRetention,
  parseDeletionProtection,
  parseCors,
  replicaSpecs,
  PRODUCTION_STAGE,
  checkStage,
  DOORS,
  parseDoor,
  parseWebAclArn,
  parseVpcEndpointIds,
  resourcePolicyFor,
  eventsFor,

  /** The front door (door parameter): httpApi, restApi or functionUrl. */
  door: async ({ resolveVariable }) => parseDoor(await param(resolveVariable, 'door')),
  /** Each function's events for the door, by function name (`events.record-deployment`). */
  events: async ({ resolveVariable }) => {
    const door = parseDoor(await param(resolveVariable, 'door'));
    return Object.fromEntries(Object.keys(FUNCTION_PATHS).map((fn) => [fn, eventsFor(door, fn)]));
  },
  /** A function URL for each function (auth NONE: the service checks API keys itself) when door=functionUrl. */
  functionUrl: async ({ resolveVariable }) => parseDoor(await param(resolveVariable, 'door')) === 'functionUrl',
  reservedConcurrency: async ({ resolveVariable }) => parseInteger('reservedConcurrency', await param(resolveVariable, 'reservedConcurrency'), 0, 10000),
  wafWebAclArn: async ({ resolveVariable }) => parseWebAclArn(await param(resolveVariable, 'wafWebAclArn'), parseDoor(await param(resolveVariable, 'door'))),
  /** door=restApi with wafWebAclArn: the web ACL's association with the REST API's stage; otherwise nothing. */
  wafResources: async ({ resolveVariable }) => {
    const arn = parseWebAclArn(await param(resolveVariable, 'wafWebAclArn'), parseDoor(await param(resolveVariable, 'door')));
    if (arn === '') return {};
    return {
      Resources: {
        WebAclAssociation: {
          Type: 'AWS::WAFv2::WebACLAssociation',
          Properties: {
            ResourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiGatewayRestApi}/stages/${ApiGatewayStage}' },
            WebACLArn: arn,
          },
        },
      },
    };
  },
  endpointType: async ({ resolveVariable }) =>
    parseVpcEndpointIds(await param(resolveVariable, 'privateVpcEndpointIds'), parseDoor(await param(resolveVariable, 'door'))).length > 0
      ? 'PRIVATE'
      : 'REGIONAL',
  /** The VPC endpoint ids of a private REST API; null (no such setting) for a public one, which osls requires. */
  vpcEndpointIds: async ({ resolveVariable }) => {
    const ids = parseVpcEndpointIds(await param(resolveVariable, 'privateVpcEndpointIds'), parseDoor(await param(resolveVariable, 'door')));
    return ids.length > 0 ? ids : null;
  },
  /** A private REST API's resource policy; null (none) for a public API. */
  resourcePolicy: async ({ resolveVariable }) => {
    const policy = resourcePolicyFor(
      parseVpcEndpointIds(await param(resolveVariable, 'privateVpcEndpointIds'), parseDoor(await param(resolveVariable, 'door'))),
    );
    return policy.length > 0 ? policy : null;
  },

  /** The stage name, checked (see checkStage): serverless.yml tags every resource with it. */
  stage: async ({ resolveVariable }) =>
    checkStage(await stageName(resolveVariable), await resolveVariable('self:service'), await resolveVariable('self:functions')),

  regions: async ({ resolveVariable }) => parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable)),
  primaryRegion: async ({ resolveVariable }) => parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable))[0],
  replicas: async ({ resolveVariable }) =>
    replicaSpecs(parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable)), await stageName(resolveVariable)),
  deletionProtection: async ({ resolveVariable }) =>
    String(parseDeletionProtection(await param(resolveVariable, 'deletionProtection'), await stageName(resolveVariable))),
  /**
   * The tables' Conditions, Resources and Outputs for serverless.yml's `resources`, made from their one declaration
   * (lib/store/tables.ts) by infra/tables.ts, with the names of custom.tables. TypeScript, loaded by Node's type
   * stripping (Node 22.18 or later; the project runs Node 24).
   */
  tables: async ({ resolveVariable }) => {
    const { cloudFormationTables } = await import('./tables.ts').catch((e) => {
      throw new Error(
        `serverless.yml tables: infra/tables.ts could not be loaded (${e.message}). It is TypeScript, which Node runs from ` +
          `22.18 on; package and deploy with npm run package / npm run deploy, which run the project's Node 24.`,
        { cause: e },
      );
    });
    const regions = parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable));
    const stage = await stageName(resolveVariable);
    return cloudFormationTables({
      names: await resolveVariable('self:custom.tables'),
      primaryRegion: regions[0],
      deletionProtected: parseDeletionProtection(await param(resolveVariable, 'deletionProtection'), stage),
      replicas: replicaSpecs(regions, stage),
    });
  },
  /** CORS is the HTTP API's; with another door, listed origins are refused rather than silently ignored. */
  cors: async ({ resolveVariable }) => {
    const cors = parseCors(await param(resolveVariable, 'corsOrigins'));
    const door = parseDoor(await param(resolveVariable, 'door'));
    if (cors && door !== 'httpApi') fail(`corsOrigins: CORS is set on the HTTP API only (door=httpApi); this stage's door is ${door}.`);
    return cors;
  },
  logRetentionInDays: async ({ resolveVariable }) => parseRetention(await param(resolveVariable, 'logRetentionInDays')),
  throttlingBurstLimit: async ({ resolveVariable }) => parseInteger('throttlingBurstLimit', await param(resolveVariable, 'throttlingBurstLimit'), 1, 5000),
  throttlingRateLimit: async ({ resolveVariable }) => parseInteger('throttlingRateLimit', await param(resolveVariable, 'throttlingRateLimit'), 1, 10000),
  lookupCacheTtlSeconds: async ({ resolveVariable }) =>
    String(parseInteger('lookupCacheTtlSeconds', await param(resolveVariable, 'lookupCacheTtlSeconds'), 0, 3600)),
};
