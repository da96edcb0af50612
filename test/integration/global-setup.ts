import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { ensureTables, localClientConfig, startEngine, type Engine } from '../../infra/local/dynamodb.ts';
import { freePort } from '../support/ports.ts';
import { TEST_TABLES } from './tables.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    dynamoEngine: string;
  }
}

/**
 * One real local DynamoDB for the integration suite: dynalite by default, Amazon's DynamoDB Local (Java 17) with
 * DYNAMODB_ENGINE=dynamodb-local, as CI runs it a second time.
 */
export default async function setup(project: TestProject) {
  const engine = (process.env.DYNAMODB_ENGINE ?? 'dynalite') as Engine;
  const db = await startEngine(engine, { port: engine === 'dynalite' ? 0 : await freePort() });
  const client = new DynamoDBClient(localClientConfig(db.endpoint));
  await ensureTables(client, TEST_TABLES);
  client.destroy();
  project.provide('dynamoEndpoint', db.endpoint);
  project.provide('dynamoEngine', engine);
  return () => db.stop();
}
