import { resolve } from 'node:path';

/** The repository's root: the one place infra/ and test/ take it from. */
export const root = resolve(import.meta.dirname, '..');
