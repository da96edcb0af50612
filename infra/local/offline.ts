import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { build } from '../build.ts';
import { oslsOptions } from '../osls-args.ts';
import { declaredArtifacts, zipBundle } from '../package.ts';
import { root } from '../paths.ts';
import { stageTableNames } from '../tables.ts';
import { ensureTables, localClientConfig, startEngine, type Engine } from './dynamodb.ts';
import { LAMBDA_RUNTIME_ENVIRONMENT } from './gateway.ts';

/**
 * `npm run offline [-- osls/serverless-offline options]`: serverless.yml as it is, run by serverless-offline (the
 * Serverless Framework's emulator, on osls) instead of our own gateway (`npm start`): the same zipped bundles
 * `npm run package` deploys, invoked through serverless-offline's HTTP API emulation. This script only provides what
 * AWS would: a DynamoDB (dynalite in memory, or DYNAMODB_ENGINE=dynamodb-local) holding the stage's tables under the
 * names serverless.yml gives the functions, with the anonymous feed DefaultNuGet seeded.
 *
 *   npm run offline                       # http://localhost:3000
 *   npm run offline -- --httpPort 3100 --stage test
 */
const args = process.argv.slice(2);
// The stage is read here (for the table names) and passed on with every other option as given.
const stage = oslsOptions(args).stage ?? 'dev';
const engine = (process.env.DYNAMODB_ENGINE ?? 'dynalite') as Engine;
const seedFeed = process.env.SEED_FEED ?? 'DefaultNuGet';

const db = await startEngine(engine, { port: Number(process.env.DYNAMODB_PORT ?? 0) });
const client = new DynamoDBClient(localClientConfig(db.endpoint));
const names = stageTableNames(stage);
await ensureTables(client, names);
if (seedFeed) await new FeedRepository(DynamoDBDocumentClient.from(client), names.feeds, names).add(seedFeed, VIEW_AND_DOWNLOAD);
client.destroy();
await build({ quiet: true });
for (const name of declaredArtifacts()) zipBundle(name);
console.log(`DynamoDB (${engine}) at ${db.endpoint}, tables ${Object.values(names).join(', ')}; feed ${seedFeed} seeded.`);

// serverless-offline passes every AWS_* variable of this process to the functions, as Lambda would set them.
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'offline', 'start', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    // As the Lambda runtime sets it: Powertools then reports each function's first invocation as a cold start.
    ...LAMBDA_RUNTIME_ENVIRONMENT,
  },
});
const stop = (signal: NodeJS.Signals) => {
  child.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('close', async (code) => {
  await db.stop();
  process.exit(code ?? 1);
});
