import { randomFillSync } from 'node:crypto';

/**
 * A source of random numbers for ulid's factories: cryptographically random bytes drawn from a pool that is refilled
 * 256 bytes at a time. Hand-written because ulid's own (detectPRNG) asks `crypto.getRandomValues` for one byte per
 * character, 16 calls per id; under load that was about 3% of the record function's CPU per request (`npm run bench`,
 * a CPU profile of the gateway process). Same values as ulid's own: a random byte / 256, in [0, 1).
 */
const pool = new Uint8Array(256);
let next = pool.length;

export const pooledRandom = (): number => {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
};
