import { openApiDocument } from '../openapi.ts';

/**
 * The OpenAPI document as served, as JSON text. Run from source (tests, the benchmark), it is generated here from the
 * request schemas; in the site function's bundle, infra/build.ts replaces this module with the text it generated at
 * build time (also written to dist/openapi.json), so the function carries neither the generator nor classic zod.
 */
export const OPENAPI_JSON: string = JSON.stringify(openApiDocument());
