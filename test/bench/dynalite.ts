/**
 * The benchmark's DynamoDB: dynalite (with the TransactWriteItems emulation) in a process of its own, as DynamoDB is a
 * service of its own. Prints `{"endpoint": ...}` on one line; exits when its parent closes stdin.
 */
import { startDynalite } from '../../infra/local/dynamodb.ts';

const db = await startDynalite({ port: 0 });
process.stdout.write(`${JSON.stringify({ endpoint: db.endpoint })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void db.stop().then(() => process.exit(0)));
