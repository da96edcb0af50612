import { httpFunction } from '../../lib/http/chain.ts';
import { siteHandler } from '../../lib/app/site/site.ts';

/** GET / (the deployments web page) and GET /api/openapi.json (the API's description). */
export const handler = httpFunction({ name: 'site', methods: ['GET'], ok: 'Served' }).handler(siteHandler());
