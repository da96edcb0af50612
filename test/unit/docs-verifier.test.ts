import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';
import { announcedEvent, signBody, webhookBody } from '../../lib/domain/events.ts';
import { currentKey } from '../../lib/domain/keys.ts';

/**
 * The verifier docs/events.md gives receivers, run as the docs say (`WEBHOOK_SECRET=... PORT=... node verify.mjs`)
 * on the Node that runs the tests, against deliveries signed as the dispatcher signs them.
 */
const docs = readFileSync(join(root, 'docs', 'events.md'), 'utf8');
const verifier = /Verifying a delivery[^\n]*\n(?:[^\n]*\n)*?```js\n([\s\S]*?)```/.exec(docs)?.[1];
const work = mkdtempSync(join(tmpdir(), 'pda-verifier-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const event = announcedEvent(
  {
    eventName: 'INSERT',
    newImage: {
      ...currentKey('Releases', undefined, 'Shop.Web', 'web01'),
      id: '01J00000000000000000000001',
      feedName: 'Releases',
      packageName: 'Shop.Web',
      version: '1.2.0',
      target: 'web01',
      application: 'Shop',
      description: 'release',
      userName: 'ci',
      date: '2026-01-01T12:00:00.000Z',
      receivedAt: '2026-01-01T12:00:00.000Z',
      keyId: 'anonymous',
      region: 'eu-west-1',
    },
  },
  'eu-west-1',
)!;

describe("docs/events.md's verifier", () => {
  it('takes deliveries signed with either secret while rotating, refuses others with 401', async () => {
    // Prepare
    expect(verifier, 'a js block after "Verifying a delivery"').toBeDefined();
    const file = join(work, 'verify.mjs');
    writeFileSync(file, verifier!);
    const port = await freePort();
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, WEBHOOK_SECRET: 'old-secret-0123456789,new-secret-0123456789', PORT: String(port) },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const body = webhookBody(event, 'json');
      const post = async (signature: string) => {
        for (let i = 0; ; i++) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/hook`, {
              method: 'POST',
              body,
              headers: { 'Content-Type': 'application/json', 'X-Deployment-Event': 'deployed', 'X-Deployment-Signature-256': signature },
            });
            return res.status;
          } catch (e) {
            if (i > 50) throw e; // not listening yet
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      // Act, Assess
      expect(await post(signBody('old-secret-0123456789', body))).toBe(200);
      expect(await post(signBody('new-secret-0123456789', body))).toBe(200);
      expect(await post(signBody('another-secret-01234', body))).toBe(401);
      expect(await post(signBody('old-secret-0123456789', `${body} `))).toBe(401);
      expect(await post('sha256=00')).toBe(401);
      expect(stdout.trim().split('\n')).toEqual([
        'deployed 01J00000000000000000000001 Shop.Web 1.2.0 web01',
        'deployed 01J00000000000000000000001 Shop.Web 1.2.0 web01',
      ]);
    } finally {
      child.kill();
    }
  });
});
