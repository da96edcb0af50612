import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { Directory } from '../../lib/store/directory.ts';
import { READ_UNAVAILABLE, WRITE_UNAVAILABLE } from '../../lib/store/failures.ts';

/**
 * What a 503 tells the client to do. The Directory's "busy" answer comes from BatchGetItem leaving keys unprocessed
 * again and again, which no local engine does on demand: here a client that always leaves them unprocessed.
 */
describe('503 texts', () => {
  it('the Directory, busy, says nothing was changed and to retry the request (no Idempotency-Key advice)', async () => {
    const busy = {
      send: async (command: { input: { RequestItems: unknown } }) => ({ Responses: {}, UnprocessedKeys: command.input.RequestItems }),
    } as unknown as DynamoDBDocumentClient;
    const directory = new Directory({ client: busy, feedsTable: 'f', apiKeysTable: 'k', cacheTtlMs: 0 });
    const error = await directory.resolve({ feedName: 'DefaultNuGet' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unavailable', detail: expect.stringMatching(/nothing was changed\. Retry the request shortly\./) });
    expect((error as { detail: string }).detail).not.toMatch(/Idempotency/);
  }, 20_000);

  it('reads speak of retrying the read, writes of the Idempotency-Key', () => {
    expect(READ_UNAVAILABLE).toMatch(/nothing was changed/);
    expect(READ_UNAVAILABLE).not.toMatch(/Idempotency/);
    expect(WRITE_UNAVAILABLE).toMatch(/Idempotency-Key/);
  });
});
