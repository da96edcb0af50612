import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one module that owns the DynamoDB client. The endpoint comes from the SDK's own configuration
 * (`AWS_ENDPOINT_URL_DYNAMODB` for the local engines), the region from `AWS_REGION`.
 */
export const createDocumentClient = (options: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(options), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });

let shared: DynamoDBDocumentClient | undefined;
/** The process-wide client, created on first use and reused by every warm invocation. */
export const documentClient = (): DynamoDBDocumentClient => (shared ??= createDocumentClient());
