/**
 * The benchmark's DynamoDB in a process of its own, as DynamoDB is a service of its own: dynalite (with the
 * TransactWriteItems emulation) by default, Amazon's DynamoDB Local with DYNAMODB_ENGINE=dynamodb-local. Writes
 * `{"endpoint": ..., "engine": ...}` on one line to file descriptor 3; exits when its parent closes stdin.
 */
import { createWriteStream } from 'node:fs';
import { startEngine, type Engine } from '../../infra/local/dynamodb.ts';
import { freePort } from '../support/ports.ts';

const engine = (process.env.DYNAMODB_ENGINE ?? 'dynalite') as Engine;
const db = await startEngine(engine, { port: engine === 'dynalite' ? 0 : await freePort() });
createWriteStream('', { fd: 3 }).write(`${JSON.stringify({ endpoint: db.endpoint, engine })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void db.stop().then(() => process.exit(0)));
