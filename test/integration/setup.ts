import { inject } from 'vitest';
import { TEST_TABLES } from './tables.ts';

// Exactly what the Lambda environment provides, pointed at the suite's local engine (read lazily by lib/config.ts).
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
process.env.DEPLOYMENTS_TABLE = TEST_TABLES.deployments;
process.env.FEEDS_TABLE = TEST_TABLES.feeds;
process.env.API_KEYS_TABLE = TEST_TABLES.apiKeys;
process.env.IDEMPOTENCY_TABLE = TEST_TABLES.idempotency;
process.env.LOOKUP_CACHE_TTL_SECONDS = '30';
