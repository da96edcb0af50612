import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';
import { eventTargets, loadConfig, loadEventConfig } from '../../lib/store/config.ts';
import { clientSettings } from '../../lib/store/client.ts';

const exec = promisify(execFile);

describe('configuration', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toMatchObject({ deploymentsTable: 'package-deployments', lookupCacheTtlMs: 30_000, region: 'local' });
    expect(loadConfig({}).dynamo).toEqual({ connectTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 3 });
    // A request timeout that only warns would leave a silent DynamoDB holding the function until Lambda kills it.
    expect(clientSettings(loadConfig({}).dynamo)).toEqual({
      maxAttempts: 3,
      retryMode: 'standard',
      requestHandler: { connectionTimeout: 1000, requestTimeout: 1500, throwOnRequestTimeout: true },
    });
    expect(loadConfig({ DYNAMODB_MAX_ATTEMPTS: '5', DYNAMODB_REQUEST_TIMEOUT_MS: '3000' }).dynamo).toMatchObject({ maxAttempts: 5, requestTimeoutMs: 3000 });
  });

  it('accepts every character DynamoDB allows in a table name, at 3 and at 255 characters', () => {
    expect(loadConfig({ DEPLOYMENTS_TABLE: 'A.z', FEEDS_TABLE: `a_-.9${'x'.repeat(250)}` })).toMatchObject({ deploymentsTable: 'A.z' });
  });

  it.each([
    ['LOOKUP_CACHE_TTL_SECONDS', 'abc'],
    ['LOOKUP_CACHE_TTL_SECONDS', '-1'],
    ['DEPLOYMENTS_TABLE', 'x'],
    ['DYNAMODB_MAX_ATTEMPTS', '0'],
    ['DYNAMODB_REQUEST_TIMEOUT_MS', 'soon'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`Invalid configuration: ${name}`));
  });

  // zod/mini has no messages of its own (lib/domain/zod.ts installs classic zod's English ones): these are the same as before.
  it.each([
    ['LOOKUP_CACHE_TTL_SECONDS', 'abc', 'Invalid input: expected number, received NaN'],
    ['LOOKUP_CACHE_TTL_SECONDS', '1.5', 'Invalid input: expected int, received number'],
    ['LOOKUP_CACHE_TTL_SECONDS', '3601', 'Too big: expected number to be <=3600'],
    ['DEPLOYMENTS_TABLE', 'x', 'Too small: expected string to have >=3 characters'],
    ['FEEDS_TABLE', 'f'.repeat(256), 'Too big: expected string to have <=255 characters'],
    // What serverless-offline made of serverless.yml's former `!If` table names.
    ['DEPLOYMENTS_TABLE', '[object Object]', 'not a DynamoDB table name: use only letters, digits, _, . and - (3 to 255 of them)'],
    ['API_KEYS_TABLE', 'my table', 'not a DynamoDB table name'],
    ['IDEMPOTENCY_TABLE', 'arn:aws:dynamodb:us-east-1:123456789012:table/x', 'not a DynamoDB table name'],
  ])('explains %s=%s in words', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`Invalid configuration: ${name}: ${message}`);
  });

  it.each(['record-deployment', 'query-deployments'])('fails the cold start of %s on a bad value, not its requests', async (fn) => {
    expect.assertions(2);
    try {
      await exec(process.execPath, ['-e', `await import('./functions/${fn}/handler.ts')`], {
        cwd: root,
        env: { ...process.env, LOOKUP_CACHE_TTL_SECONDS: 'abc', AWS_REGION: 'eu-west-1' },
      });
    } catch (e) {
      expect((e as { code: number }).code).not.toBe(0);
      expect((e as { stderr: string }).stderr).toMatch(/Invalid configuration: LOOKUP_CACHE_TTL_SECONDS/);
    }
  });

  it("the dispatcher's settings: defaults, each refused value named, the bus and queue required on AWS", () => {
    expect(loadEventConfig({})).toEqual({
      eventBusName: undefined,
      deadLetterQueue: undefined,
      policy: { allowLoopback: false },
      retry: { maxAttempts: 5, budgetMs: 30_000, timeoutMs: 5_000, baseDelayMs: 1_000 },
    });
    expect(loadEventConfig({ WEBHOOKS_ALLOW_LOOPBACK: 'true', WEBHOOK_MAX_ATTEMPTS: '2' })).toMatchObject({
      policy: { allowLoopback: true },
      retry: { maxAttempts: 2 },
    });
    expect(() => loadEventConfig({ WEBHOOK_TIMEOUT_MS: '10' })).toThrow('Invalid configuration: WEBHOOK_TIMEOUT_MS: Too small: expected number to be >=100');
    expect(() => loadEventConfig({ WEBHOOKS_ALLOW_LOOPBACK: 'yes' })).toThrow(/Invalid configuration: WEBHOOKS_ALLOW_LOOPBACK/);
    expect(() => eventTargets(loadEventConfig({ EVENT_BUS_NAME: 'bus' }))).toThrow('Invalid configuration: EVENT_BUS_NAME and DEAD_LETTER_QUEUE are required');
    expect(eventTargets(loadEventConfig({ EVENT_BUS_NAME: 'bus', DEAD_LETTER_QUEUE: 'dlq' }))).toEqual({ eventBusName: 'bus', deadLetterQueue: 'dlq' });
  });
});
