import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config, type Config } from './config.ts';

/**
 * The one module that owns the DynamoDB client. The endpoint comes from the SDK's own configuration
 * (`AWS_ENDPOINT_URL_DYNAMODB` for the local engines), the region from `AWS_REGION`.
 */
export const createDocumentClient = (options: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(options), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });

/**
 * Timeouts and attempts for a Lambda: the SDK's defaults wait for a silent connection without limit, so a DynamoDB
 * out of reach would hold the function until Lambda kills it and the caller sees API Gateway's bare 503 (or 504). With
 * these, each attempt gives up after the connect or request timeout, the SDK retries (standard mode: throttling, 5xx,
 * timeouts and connection errors, with jittered exponential backoff), and the caller gets the service's own 503 with
 * `Retry-After`: within about a second when the engine refuses connections, and at worst after
 * maxAttempts × requestTimeout plus backoff (≈ 5 s with the defaults) when it accepts and never answers.
 */
export const clientSettings = (c: Config['dynamo']): DynamoDBClientConfig => ({
  maxAttempts: c.maxAttempts,
  retryMode: 'standard',
  // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and keeps waiting.
  requestHandler: { connectionTimeout: c.connectTimeoutMs, requestTimeout: c.requestTimeoutMs, throwOnRequestTimeout: true },
});

/** The document client as lib/app names it in its dependencies (lib/app imports no SDK module itself). */
export type DocumentClient = DynamoDBDocumentClient;

let shared: DynamoDBDocumentClient | undefined;
/** The process-wide client, created on first use and reused by every warm invocation. */
export const documentClient = (): DynamoDBDocumentClient => (shared ??= createDocumentClient(clientSettings(config().dynamo)));
