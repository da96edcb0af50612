import { httpFunction } from '../../lib/http/chain.ts';
import { defaultReadDependencies, readHandler } from '../../lib/app/read.ts';

/** The read API: the routes of query-deployments in lib/domain/routes.ts (dependencies built at load). */
export const handler = httpFunction({ name: 'query-deployments', ok: 'Served' }).handler(readHandler(defaultReadDependencies()));
