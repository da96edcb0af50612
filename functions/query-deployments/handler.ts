import { httpFunction } from '../../lib/http/chain.ts';
import { defaultReadDependencies, READ_METHODS_BY_PATH, readHandler } from '../../lib/app/read.ts';

/** The read API: GET on every route, and POST (an advisory) on /api/deployments/affected (dependencies built at load). */
export const handler = httpFunction({ name: 'query-deployments', methods: ['GET'], methodsByPath: READ_METHODS_BY_PATH, ok: 'Served' }).handler(
  readHandler(defaultReadDependencies()),
);
