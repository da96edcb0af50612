import * as crypto from 'node:crypto';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { extractCredential } from '../../lib/domain/auth.ts';
import type { LambdaHandler } from '../../infra/local/gateway.ts';
import { invoke, seedFields } from '../support/invoke.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const KEY = 'unit-secret-key-0123456789abcdefghijklmnopqrs';
const mock = mockClient(DynamoDBDocumentClient);
let handler: LambdaHandler;

beforeAll(async () => {
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', LOOKUP_CACHE_TTL_SECONDS: '0' });
  mock.on(BatchGetCommand).resolves({ Responses: {} });
  handler = (await import('../../functions/record-deployment/handler.ts')).handler as LambdaHandler;
});
afterAll(() => mock.restore());

describe('an API key never leaves the process', () => {
  it('only its SHA-256 is sent to DynamoDB, whichever transport carried it', async () => {
    const json = { 'Content-Type': 'application/json' };
    const body = JSON.stringify(seedFields());
    const answers = [
      await invoke(handler, { headers: { ...json, 'X-ApiKey': KEY }, body }),
      await invoke(handler, { headers: { ...json, Authorization: `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}` }, body }),
      await invoke(handler, { headers: json, query: `key=${KEY}`, body }),
      await invoke(handler, { headers: json, body: JSON.stringify({ ...seedFields(), API_Key: KEY }) }),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    const sent = JSON.stringify(mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input));
    expect(mock.commandCalls(BatchGetCommand)).toHaveLength(4);
    expect(sent).toContain(crypto.createHash('sha256').update(KEY).digest('hex'));
    expect(sent).not.toContain(KEY);
  });

  it('two keys in one request are compared in constant time', () => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
    const basic = `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`;
    expect(extractCredential({ 'x-apikey': KEY, authorization: basic }, undefined)).toMatchObject({ kind: 'key', key: KEY });
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
    expect(extractCredential({ 'x-apikey': KEY }, { key: `${KEY.slice(0, -1)}X` })).toMatchObject({ kind: 'invalid' });
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(2);
  });
});
