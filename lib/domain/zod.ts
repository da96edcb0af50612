/**
 * zod/mini, the functional form of zod: the same core (parsing, issues, messages) as classic zod, but as functions that
 * a bundler can leave out when unused instead of methods on every schema. In the Lambda bundle it is about 20 KB where
 * classic zod is about 440 KB (with every locale) and takes tens of milliseconds more to load on a cold start.
 *
 * Classic zod installs its English messages by default; zod/mini installs none ("Invalid input" for everything), so
 * they are installed here. Import zod as `import * as z from './zod.ts'` so that the messages are always in place.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
