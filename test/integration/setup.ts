import { inject } from 'vitest';
import { lambdaEnvironment } from '../support/lambda-env.ts';
import { TEST_TABLES } from './tables.ts';

// Exactly what the Lambda environment provides, pointed at the suite's local engine (read lazily by lib/store/config.ts).
Object.assign(process.env, lambdaEnvironment(TEST_TABLES, inject('dynamoEndpoint')), { LOOKUP_CACHE_TTL_SECONDS: '30' });
