import { httpFunction } from '../../lib/http/chain.ts';
import { siteHandler } from '../../lib/app/site/site.ts';

/** The site's routes of lib/domain/routes.ts (the web page and the API's description), and any path no route matches. */
export const handler = httpFunction({ name: 'site', ok: 'Served' }).handler(siteHandler());
