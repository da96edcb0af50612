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
  const list = text(raw) === '' ? [deployRegion] : text(raw).split(',').map((r) => r.trim());
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
  const origins = text(raw) === '' ? [] : text(raw).split(',').map((o) => o.trim());
  if (origins.length === 0) return false;
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s,]+$/.test(origin)) fail(`corsOrigins: "${origin}" must be * or a scheme and host such as https://ci.example.com.`);
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

  /** The stage name, checked (see checkStage): serverless.yml tags every resource with it. */
  stage: async ({ resolveVariable }) =>
    checkStage(await stageName(resolveVariable), await resolveVariable('self:service'), await resolveVariable('self:functions')),

  regions: async ({ resolveVariable }) => parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable)),
  primaryRegion: async ({ resolveVariable }) =>
    parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable))[0],
  replicas: async ({ resolveVariable }) =>
    replicaSpecs(
      parseRegions(await param(resolveVariable, 'regions'), await deployRegion(resolveVariable)),
      await stageName(resolveVariable),
    ),
  deletionProtection: async ({ resolveVariable }) =>
    String(parseDeletionProtection(await param(resolveVariable, 'deletionProtection'), await stageName(resolveVariable))),
  cors: async ({ resolveVariable }) => parseCors(await param(resolveVariable, 'corsOrigins')),
  logRetentionInDays: async ({ resolveVariable }) => parseRetention(await param(resolveVariable, 'logRetentionInDays')),
  throttlingBurstLimit: async ({ resolveVariable }) =>
    parseInteger('throttlingBurstLimit', await param(resolveVariable, 'throttlingBurstLimit'), 1, 5000),
  throttlingRateLimit: async ({ resolveVariable }) =>
    parseInteger('throttlingRateLimit', await param(resolveVariable, 'throttlingRateLimit'), 1, 10000),
  lookupCacheTtlSeconds: async ({ resolveVariable }) =>
    String(parseInteger('lookupCacheTtlSeconds', await param(resolveVariable, 'lookupCacheTtlSeconds'), 0, 3600)),
};
