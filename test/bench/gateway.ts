/**
 * The local gateway (as `npm start` runs it) in a process of its own, serving the built bundle of record-deployment:
 * the function runs apart from the load generator, as on AWS. Configuration comes from the environment. Writes
 * `{"url": ...}` on one line to file descriptor 3; exits when its parent closes stdin.
 */
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bundlePath } from '../../infra/build.ts';
import { startGateway, type LambdaHandler } from '../../infra/local/gateway.ts';

const { handler } = (await import(pathToFileURL(bundlePath('record-deployment')).href)) as { handler: LambdaHandler };
const gateway = await startGateway({
  port: 0,
  routes: [
    { path: '/api/package-deployment', handler },
    { path: '/api/package-deployment/', handler },
  ],
});
createWriteStream('', { fd: 3 }).write(`${JSON.stringify({ url: gateway.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void gateway.close().then(() => process.exit(0)));
