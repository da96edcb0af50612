/**
 * The API's routes: the one place a path is written. Each route names the function that answers it, the methods it
 * takes (a function's 405 and Allow come from them, HEAD wherever GET is) and whether it also answers with a trailing
 * slash. Everything else is derived from this table:
 *
 * - the read function's and the site's dispatch (lib/app/read.ts, lib/app/site/site.ts: a handler for every route
 *   of the function, or a compile error) and every function's 404 and 405 (lib/http/chain.ts);
 * - the OpenAPI document's paths (lib/app/openapi.ts) and the web page's calls to the read API (lib/app/site/page.ts);
 * - the deployed routes: infra/stage.cjs requires this file (Node strips its types, as it does for every script of
 *   the project) and gives each function its door's events, HTTP API's trailing-slash twins and its `$default` route;
 * - the local gateway's routes (infra/local/start.ts).
 *
 * Pure data with no imports, so that every layer, the infrastructure scripts and a CommonJS file may load it.
 */

/** The functions that answer HTTP (serverless.yml's keys). */
export type HttpFunctionName = 'record-deployment' | 'query-deployments' | 'site';

/**
 * `optional`: the path also answers with a trailing slash (`/api/feeds/`); `canonical`: it does, and the form with
 * the slash is the documented one (ProGet's `/api/package-deployment/`); `none`: only the path as written.
 */
export type TrailingSlash = 'none' | 'optional' | 'canonical';

export type RouteSpec = {
  function: HttpFunctionName;
  /** The path within the API (no stage or base path), without a trailing slash. */
  path: string;
  /** The methods the route takes; HEAD is added wherever GET is. */
  methods: readonly string[];
  trailingSlash: TrailingSlash;
  /** Listed in the OpenAPI document (lib/app/openapi.ts describes its operations). */
  documented: boolean;
};

export const ROUTES = {
  record: { function: 'record-deployment', path: '/api/package-deployment', methods: ['POST'], trailingSlash: 'canonical', documented: true },
  history: { function: 'query-deployments', path: '/api/deployments', methods: ['GET'], trailingSlash: 'optional', documented: true },
  current: { function: 'query-deployments', path: '/api/deployments/current', methods: ['GET'], trailingSlash: 'optional', documented: true },
  overview: { function: 'query-deployments', path: '/api/deployments/overview', methods: ['GET'], trailingSlash: 'optional', documented: true },
  frequency: { function: 'query-deployments', path: '/api/deployments/frequency', methods: ['GET'], trailingSlash: 'optional', documented: true },
  dora: { function: 'query-deployments', path: '/api/deployments/dora', methods: ['GET'], trailingSlash: 'optional', documented: true },
  affected: { function: 'query-deployments', path: '/api/deployments/affected', methods: ['GET', 'POST'], trailingSlash: 'optional', documented: true },
  feeds: { function: 'query-deployments', path: '/api/feeds', methods: ['GET'], trailingSlash: 'optional', documented: true },
  page: { function: 'site', path: '/', methods: ['GET'], trailingSlash: 'none', documented: false },
  openapi: { function: 'site', path: '/api/openapi.json', methods: ['GET'], trailingSlash: 'none', documented: false },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;

/** The routes a function answers, as a type: `Record<RouteOf<'site'>, ...>` needs an entry for each. */
export type RouteOf<F extends HttpFunctionName> = { [K in RouteId]: (typeof ROUTES)[K]['function'] extends F ? K : never }[RouteId];

/** The routes in the OpenAPI document. */
export type DocumentedRoute = { [K in RouteId]: (typeof ROUTES)[K]['documented'] extends true ? K : never }[RouteId];

/**
 * The function HTTP API's `$default` route reaches, and so every path no route matches (there, and at the local
 * gateway): the site, which carries no AWS SDK, and answers such a path with a problem+json 404.
 */
export const DEFAULT_ROUTE_FUNCTION: HttpFunctionName = 'site';

export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];

export const HTTP_FUNCTIONS: readonly HttpFunctionName[] = [...new Set(ROUTE_IDS.map((id) => ROUTES[id].function))];

/** A function's routes, in table order. */
export const routesOf = <F extends HttpFunctionName>(fn: F): RouteOf<F>[] => ROUTE_IDS.filter((id) => ROUTES[id].function === fn) as RouteOf<F>[];

/** The paths a route answers: its path, and the path with a trailing slash unless `trailingSlash` is `none`. */
export const servedPaths = (route: RouteSpec): string[] => (route.trailingSlash === 'none' ? [route.path] : [route.path, `${route.path}/`]);

/** The path the OpenAPI document lists for a route. */
export const documentedPath = (route: RouteSpec): string => (route.trailingSlash === 'canonical' ? `${route.path}/` : route.path);

/** The route of `fn` a request's path (within the API) reaches, if any. */
export const findRoute = <F extends HttpFunctionName>(fn: F, rawPath: string): RouteOf<F> | undefined =>
  routesOf(fn).find((id) => servedPaths(ROUTES[id]).includes(rawPath));
