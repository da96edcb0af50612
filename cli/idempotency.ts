import { createHash, randomUUID } from 'node:crypto';
import type { CiRun } from './ci-env.ts';

/** The service accepts 1 to 255 visible ASCII characters, no comma (see the README's "Retries: Idempotency-Key"). */
export const IDEMPOTENCY_KEY_MAX = 255;

export const checkIdempotencyKey = (key: string): string | undefined =>
  key.length >= 1 && key.length <= IDEMPOTENCY_KEY_MAX && /^[\x21-\x7e]+$/.test(key) && !key.includes(',')
    ? undefined
    : `--idempotency-key must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters without a comma`;

export type RecordIdentity = { FeedName: string; GroupName?: string | undefined; PackageName: string; Version: string; Target: string };

/**
 * A key unique to the CI run, attempt and job and to the record's feed, group, package, version and target: the same
 * environment (a retried step, a second invocation in the same job) always yields the same key, so the service keeps
 * one record; another attempt, job or target yields another. Hashed, so it stays short (78 characters) whatever the
 * names, and holds nothing but [a-z0-9-].
 */
export const ciIdempotencyKey = (run: CiRun, record: RecordIdentity): string => {
  const material = JSON.stringify([
    'v1',
    run.provider,
    run.identity,
    record.FeedName,
    record.GroupName ?? '',
    record.PackageName,
    record.Version,
    record.Target,
  ]);
  return `pda-${run.provider}-${createHash('sha256').update(material, 'utf8').digest('hex')}`;
};

/** Outside CI: a new key per invocation, so the CLI's own retries are safe (a second invocation is a new record). */
export const randomIdempotencyKey = (): string => `pda-${randomUUID()}`;
