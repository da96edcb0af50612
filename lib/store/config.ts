import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry-policy.ts';
import type { AddressPolicy } from '../domain/webhooks.ts';
import * as z from '../domain/zod.ts';

/**
 * Configuration, read from the environment (here only: lib/app and lib/domain read none) and validated when a
 * function's dependencies are built at load: a bad value fails the cold start with a message naming the variable,
 * instead of surfacing later as a 500. Two schemas: the tables and DynamoDB settings every function shares
 * (`loadConfig`), and the dispatcher's bus, queue and webhook delivery settings (`loadEventConfig`).
 */

/** The error for values a schema refused: one message naming each variable and its problem. */
const invalidConfiguration = (error: z.core.$ZodError): Error =>
  new Error(`Invalid configuration: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

/**
 * DynamoDB's rule for table names: 3 to 255 of A-Z, a-z, 0-9, `_`, `.` and `-`. A value that is no table name (such
 * as the "[object Object]" an emulator makes of an unresolved CloudFormation function) fails the cold start.
 */
const TABLE_NAME_CHARACTERS = /^[A-Za-z0-9_.-]*$/;
const tableName = (name: string) =>
  z._default(
    z
      .string()
      .check(
        z.minLength(3),
        z.maxLength(255),
        z.regex(TABLE_NAME_CHARACTERS, 'not a DynamoDB table name: use only letters, digits, _, . and - (3 to 255 of them)'),
      ),
    name,
  );
const EnvSchema = z.object({
  DEPLOYMENTS_TABLE: tableName('package-deployments'),
  FEEDS_TABLE: tableName('package-deployment-feeds'),
  API_KEYS_TABLE: tableName('package-deployment-api-keys'),
  IDEMPOTENCY_TABLE: tableName('package-deployment-idempotency'),
  WEBHOOKS_TABLE: tableName('package-deployment-webhooks'),
  /** Seconds a key or feed lookup (found or not) is reused by a warm execution environment; 0 disables. */
  LOOKUP_CACHE_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(3600)), 30),
  /** http://127.0.0.1 and localhost identity-token issuers are trusted (npm start sets it; never on AWS). */
  TRUST_LOOPBACK_ISSUERS: z._default(z.enum(['true', 'false']), 'false'),
  /** The region that received a request; Lambda always sets it. */
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'local'),
  /** How long the SDK waits for a TCP connection to DynamoDB, per attempt. */
  DYNAMODB_CONNECT_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.gte(50), z.lte(60_000)), 1000),
  /** How long the SDK waits for DynamoDB's answer once the request is sent, per attempt. */
  DYNAMODB_REQUEST_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.gte(50), z.lte(60_000)), 1500),
  /** Attempts per DynamoDB call, the first included (the SDK's standard retry mode: jittered exponential backoff). */
  DYNAMODB_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(10)), 3),
});

export type Config = Readonly<{
  deploymentsTable: string;
  feedsTable: string;
  apiKeysTable: string;
  idempotencyTable: string;
  webhooksTable: string;
  lookupCacheTtlMs: number;
  trustLoopbackIssuers: boolean;
  region: string;
  dynamo: Readonly<{ connectTimeoutMs: number; requestTimeoutMs: number; maxAttempts: number }>;
}>;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw invalidConfiguration(parsed.error);
  const e = parsed.data;
  return Object.freeze({
    deploymentsTable: e.DEPLOYMENTS_TABLE,
    feedsTable: e.FEEDS_TABLE,
    apiKeysTable: e.API_KEYS_TABLE,
    idempotencyTable: e.IDEMPOTENCY_TABLE,
    webhooksTable: e.WEBHOOKS_TABLE,
    lookupCacheTtlMs: e.LOOKUP_CACHE_TTL_SECONDS * 1000,
    trustLoopbackIssuers: e.TRUST_LOOPBACK_ISSUERS === 'true',
    region: e.AWS_REGION,
    dynamo: Object.freeze({
      connectTimeoutMs: e.DYNAMODB_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: e.DYNAMODB_REQUEST_TIMEOUT_MS,
      maxAttempts: e.DYNAMODB_MAX_ATTEMPTS,
    }),
  });
};

let current: Config | undefined;
/** The process-wide configuration, read on first use. */
export const config = (): Config => (current ??= loadConfig());

/** Built when first asked for: the functions that never read it (record, read) carry no code for it in their bundles. */
const eventsEnvSchema = () =>
  z.object({
    EVENT_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
    /** The dead-letter queue: its name (as serverless.yml gives it) or its URL. */
    DEAD_LETTER_QUEUE: z.optional(z.string().check(z.minLength(1))),
    /** Only `npm start` sets it: loopback receivers and plain http allowed. Never on AWS. */
    WEBHOOKS_ALLOW_LOOPBACK: z._default(z.enum(['true', 'false']), 'false'),
    WEBHOOK_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(20)), DEFAULT_RETRY_POLICY.maxAttempts),
    WEBHOOK_RETRY_BUDGET_MS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(600_000)), DEFAULT_RETRY_POLICY.budgetMs),
    WEBHOOK_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.gte(100), z.lte(60_000)), DEFAULT_RETRY_POLICY.timeoutMs),
    WEBHOOK_BASE_DELAY_MS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(60_000)), DEFAULT_RETRY_POLICY.baseDelayMs),
  });

/** The dispatcher's settings: where events and dead letters go (optional under `npm start`), how webhooks are posted. */
export type EventConfig = Readonly<{
  eventBusName?: string | undefined;
  deadLetterQueue?: string | undefined;
  policy: AddressPolicy;
  retry: RetryPolicy;
}>;

export const loadEventConfig = (env: NodeJS.ProcessEnv = process.env): EventConfig => {
  const parsed = eventsEnvSchema().safeParse(env);
  if (!parsed.success) throw invalidConfiguration(parsed.error);
  const e = parsed.data;
  return Object.freeze({
    eventBusName: e.EVENT_BUS_NAME,
    deadLetterQueue: e.DEAD_LETTER_QUEUE,
    policy: { allowLoopback: e.WEBHOOKS_ALLOW_LOOPBACK === 'true' },
    retry: { maxAttempts: e.WEBHOOK_MAX_ATTEMPTS, budgetMs: e.WEBHOOK_RETRY_BUDGET_MS, timeoutMs: e.WEBHOOK_TIMEOUT_MS, baseDelayMs: e.WEBHOOK_BASE_DELAY_MS },
  });
};

/** The bus and the queue the deployed dispatcher needs (both set by serverless.yml); either missing throws. */
export const eventTargets = (c: EventConfig): { eventBusName: string; deadLetterQueue: string } => {
  const { eventBusName, deadLetterQueue } = c;
  if (!eventBusName || !deadLetterQueue) throw new Error('Invalid configuration: EVENT_BUS_NAME and DEAD_LETTER_QUEUE are required');
  return { eventBusName, deadLetterQueue };
};
