import { openApiDocument } from '../openapi.ts';

/**
 * The OpenAPI document as served, as JSON text. Run from source (tests, the benchmark), it is generated here from the
 * request schemas; in the site function's bundle, infra/build.ts replaces this module with the text it generated at
 * build time (also written to dist/openapi.json), gzipped, and unzipped on the first request for it: the function
 * carries neither the generator nor the schemas, and about 6 KB instead of 30.
 */
let text: string | undefined;
export const openApiJson = (): string => (text ??= JSON.stringify(openApiDocument()));
