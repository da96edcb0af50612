import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalService, stop } from '../support/processes.ts';
import { cleanUp, preflight } from './stage.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** The DynamoDB endpoint the admin CLI should use, or '' to use AWS itself. */
    adminEndpoint: string;
    /** Against a deployed stage: the file listing the feeds and keys the suite added, removed after the run. */
    ledger: string;
  }
}

/**
 * The end-to-end suite talks HTTP to a running service: E2E_BASE_URL when given (e.g. a deployed stage), otherwise
 * `npm start`'s own entry point, started here on free ports with an in-memory dynalite. Against a stage, the admin
 * CLI uses the stage's tables (see stage.ts), and what the suite added is removed afterwards.
 */
export default async function setup(project: TestProject) {
  if (process.env.E2E_BASE_URL) {
    const baseUrl = process.env.E2E_BASE_URL.replace(/\/+$/, '');
    const adminEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '';
    await preflight(baseUrl, adminEndpoint);
    const dir = mkdtempSync(join(tmpdir(), 'pda-e2e-'));
    const ledger = join(dir, 'created.tsv');
    project.provide('baseUrl', baseUrl);
    project.provide('adminEndpoint', adminEndpoint);
    project.provide('ledger', ledger);
    return async () => {
      const removed = await cleanUp(ledger, adminEndpoint);
      console.log(`E2E against ${baseUrl}: removed or revoked ${removed.length} feed(s) and key(s) the suite added.`);
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const service = await startLocalService({ DYNAMODB_ENGINE: 'dynalite', POWERTOOLS_LOG_LEVEL: 'WARN' });
  const { baseUrl, dynamoEndpoint: dynamo } = service;
  project.provide('baseUrl', baseUrl);
  project.provide('adminEndpoint', dynamo);
  project.provide('ledger', '');
  return () => stop(service);
}
