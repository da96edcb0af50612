import { httpFunction } from '../../lib/http/chain.ts';
import { defaultReadDependencies, readHandler } from '../../lib/app/read.ts';

/** GET /api/deployments, /api/deployments/current and /api/feeds: the read API (dependencies built at load). */
export const handler = httpFunction({ name: 'query-deployments', methods: ['GET'], ok: 'Served' }).handler(readHandler(defaultReadDependencies()));
