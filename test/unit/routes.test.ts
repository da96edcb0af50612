import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/record-deployment/handler.ts';
import { handler as siteHandler } from '../../functions/site/handler.ts';
import type { RecordDependencies } from '../../lib/app/record-deployment.ts';
import { documentedPath, findRoute, HTTP_FUNCTIONS, ROUTE_IDS, ROUTES, routesOf, servedPaths, type HttpFunctionName } from '../../lib/domain/routes.ts';
import { allowedMethods } from '../../lib/http/middlewares.ts';
import { root } from '../../infra/paths.ts';
import { invoke } from '../support/invoke.ts';
import type { LambdaHandler } from '../../infra/local/gateway.ts';

/**
 * lib/domain/routes.ts, the one route table: its paths are distinct and well-formed, and each function's 404 and 405
 * (with Allow) come from its routes. The record function is built with dependencies it never reaches: the route guard
 * answers before the handler.
 */
const handlers: Partial<Record<HttpFunctionName, LambdaHandler>> = {
  site: siteHandler as LambdaHandler,
  'record-deployment': createHandler({} as RecordDependencies) as LambdaHandler,
};

beforeEach(() => {
  expect.hasAssertions();
});

describe('the route table', () => {
  it('serves each path from one route only; paths start with / and have no trailing slash of their own', () => {
    const paths = ROUTE_IDS.flatMap((id) => servedPaths(ROUTES[id]));
    expect(new Set(paths).size).toBe(paths.length);
    for (const id of ROUTE_IDS) {
      const { path } = ROUTES[id];
      expect(path, id).toMatch(/^\//);
      if (path !== '/') expect(path, id).not.toMatch(/\/$/);
      expect(ROUTES[id].methods.length, id).toBeGreaterThan(0);
    }
  });

  it('names functions that exist, and documents the recording path with its trailing slash, as ProGet does', () => {
    for (const fn of HTTP_FUNCTIONS) expect(existsSync(join(root, 'functions', fn, 'handler.ts')), fn).toBe(true);
    expect(documentedPath(ROUTES.record)).toBe(`${ROUTES.record.path}/`);
    expect(documentedPath(ROUTES.history)).toBe(ROUTES.history.path);
  });

  it('finds a route by its path with or without the trailing slash where it has one, and only among its function', () => {
    expect(findRoute('query-deployments', ROUTES.feeds.path)).toBe('feeds');
    expect(findRoute('query-deployments', `${ROUTES.feeds.path}/`)).toBe('feeds');
    expect(findRoute('query-deployments', `${ROUTES.feeds.path}//`)).toBeUndefined();
    expect(findRoute('query-deployments', ROUTES.feeds.path.toUpperCase())).toBeUndefined();
    expect(findRoute('site', `${ROUTES.openapi.path}/`)).toBeUndefined();
    expect(findRoute('site', ROUTES.feeds.path)).toBeUndefined();
    expect(routesOf('site')).toEqual(['page', 'openapi']);
  });
});

describe("each function's 404 and 405", () => {
  const cases = (Object.keys(handlers) as HttpFunctionName[]).flatMap((fn) => routesOf(fn).map((id) => [fn, id] as const));

  it.each(cases)('%s %s: another method is a 405 whose Allow is the route’s methods', async (fn, id) => {
    const answer = await invoke(handlers[fn]!, { method: 'PATCH', path: ROUTES[id].path });
    expect(answer.status).toBe(405);
    expect(answer.headers.Allow).toBe(allowedMethods(ROUTES[id].methods).join(', '));
    expect(answer.headers['Content-Type']).toMatch(/^application\/problem\+json/);
  });

  it.each(Object.keys(handlers) as HttpFunctionName[])('%s: a path none of its routes has is a problem+json 404, whatever the method', async (fn) => {
    const other = ROUTE_IDS.find((id) => ROUTES[id].function !== fn)!;
    for (const [method, path] of [
      ['GET', '/nothing/here'],
      ['DELETE', '/nothing/here'],
      ['POST', ROUTES[other].path],
    ] as const) {
      const answer = await invoke(handlers[fn]!, { method, path });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.headers['Content-Type']).toMatch(/^application\/problem\+json/);
      expect(answer.json).toMatchObject({ title: 'Not Found', status: 404, detail: `There is no ${path} here; see / or /api/openapi.json.` });
    }
  });

  it('the site answers its own routes', async () => {
    expect((await invoke(siteHandler as LambdaHandler, { method: 'GET', path: ROUTES.page.path })).status).toBe(200);
    const doc = await invoke(siteHandler as LambdaHandler, { method: 'GET', path: ROUTES.openapi.path });
    expect(doc.status).toBe(200);
    expect(Object.keys((doc.json as { paths: object }).paths)).toContain(documentedPath(ROUTES.record));
  });
});
