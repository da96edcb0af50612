/**
 * dynalite (with the embedded engine's transactions) in a process of its own, so that a test can kill it with SIGKILL
 * and start it again on the same port and data directory: `node test/support/dynalite-process.ts PORT [DIR]`. Prints
 * `listening <endpoint>` once it answers.
 */
import { startDynalite } from '../../infra/local/dynamodb.ts';

const [port = '0', path] = process.argv.slice(2);
const db = await startDynalite({ port: Number(port), path });
console.log(`listening ${db.endpoint}`);
process.on('SIGTERM', () => void db.stop().then(() => process.exit(0)));
