/**
 * The API's routes: which function answers which paths. The local gateway serves exactly these, and serverless.yml
 * must declare the same (checked by a test). Every method reaches the function (HTTP API `ANY` routes), so that a
 * wrong method gets the function's own 405 with `Allow`, as ProGet answers GET on the recording path; paths are
 * listed with and without a trailing slash, which HTTP API matches separately.
 */
export type RouteSpec = { function: string; paths: string[] };

const withSlash = (...paths: string[]): string[] => paths.flatMap((p) => [p, `${p}/`]);

export const ROUTES: RouteSpec[] = [
  { function: 'record-deployment', paths: withSlash('/api/package-deployment') },
  {
    function: 'query-deployments',
    paths: withSlash(
      '/api/deployments',
      '/api/deployments/current',
      '/api/deployments/overview',
      '/api/deployments/frequency',
      '/api/deployments/dora',
      '/api/feeds',
    ),
  },
  { function: 'site', paths: ['/', '/api/openapi.json'] },
];
