import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalService, startNode, stop, type Child } from '../support/processes.ts';
import { freePort } from '../support/ports.ts';

/**
 * The command `npm start` prints for a second region on its tables: with PORT and DYNAMODB_PORT side by side it names
 * neither of them but a free port, and another region than its own; run as printed, it serves.
 */
const started: Child[] = [];
afterAll(async () => {
  for (const c of started.reverse()) await stop(c);
});

/** Two free ports side by side: p and p + 1. */
const adjacentPorts = async (): Promise<number> => {
  for (;;) {
    const p = await freePort();
    if (p < 65535 && (await canListen(p + 1))) return p;
  }
};
const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('the second region npm start suggests', () => {
  it('uses a free port (not the DynamoDB one next to PORT) and another region, and serves as printed', async () => {
    const port = await adjacentPorts();
    const first = await startLocalService({ PORT: String(port), DYNAMODB_PORT: String(port + 1), AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'WARN' });
    started.push(first);
    const hint = /A second region on the same tables: (AWS_ENDPOINT_URL_DYNAMODB=(\S+) AWS_REGION=(\S+) PORT=(\d+)) npm start/.exec(first.output());
    expect(hint, first.output()).not.toBeNull();
    const [, , endpoint, region, suggested] = hint!;
    expect(endpoint).toBe(`http://127.0.0.1:${port + 1}`);
    expect(region).toBe('eu-west-1');
    expect(Number(suggested)).not.toBe(port);
    expect(Number(suggested)).not.toBe(port + 1);

    const second = await startNode(['infra/local/start.ts'], /listening on (http:\/\/\S+?)\/api\/package-deployment\//, {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: region,
      PORT: suggested,
      DATA_DIR: '',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    started.push(second);
    expect(second.match[1]).toBe(`http://127.0.0.1:${suggested}`);
    expect((await fetch(`${second.match[1]}/api/feeds`)).status).toBe(200);
  }, 180_000);
});
