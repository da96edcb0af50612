import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces mapped to the TypeScript sources, only when an error is logged. Node's own `--enable-source-maps` reads
 * and parses the bundle's source map at every cold start (about 8% of the import of the record bundle, measured with
 * hyperfine), and it cannot be switched on later for a module already loaded; so the map beside a bundle
 * (`index.mjs.map`) is read here, on the first error that needs it, with Node's public `SourceMap` class, and each
 * frame in a bundle is rewritten as `source.ts:line:column`. Hand-written because no library does this lazily without
 * a dependency larger than this file; frames it cannot map stay as they are.
 */
const maps = new Map<string, SourceMap | null>();

const mapOf = (file: string): SourceMap | null => {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null; // no map beside the file (sources run directly, or a map left out): frames stay as they are
    }
    maps.set(file, map);
  }
  return map;
};

const FRAME = /((?:file:\/\/)?\/[^\s():]+\.m?js):(\d+):(\d+)/g;

/** A stack with every frame of a bundled file that has a source map replaced by its original position. */
export const mapStack = (stack: string): string =>
  stack.replace(FRAME, (frame: string, location: string, line: string, column: string) => {
    const file = location.startsWith('file:') ? fileURLToPath(location) : location;
    const origin = mapOf(file)?.findOrigin(Number(line), Number(column));
    if (!origin || !('fileName' in origin)) return frame;
    return `${origin.fileName.replace(/^(\.\.\/)+/, '')}:${origin.lineNumber}:${origin.columnNumber}`;
  });

/** The error (and its causes) with mapped stacks, for logging; the error object itself is changed in place. */
export const withSourceStack = <E>(error: E): E => {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.stack) e.stack = mapStack(e.stack);
  }
  return error;
};
