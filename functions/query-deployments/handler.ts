import { httpFunction } from '../../lib/http/chain.ts';
import { logger } from '../../lib/http/logger.ts';
import { readHandler, type ReadDependencies } from '../../lib/app/read.ts';
import { documentClient } from '../../lib/store/client.ts';
import { config } from '../../lib/store/config.ts';
import { configuredDirectory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';

/**
 * The deployed function's dependencies, built at load: the validated configuration (lib/store/config.ts: a bad value
 * fails the cold start, naming the variable) and the shared client.
 */
const dependencies = (): ReadDependencies => {
  const c = config();
  const client = documentClient();
  return {
    client,
    directory: configuredDirectory(client, c),
    feeds: new FeedRepository(client, c.feedsTable),
    deploymentsTable: c.deploymentsTable,
    now: () => new Date(),
    region: c.region,
    onSummaryError: (error) => logger.warn('A summary of a closed day could not be stored; the next DORA read reads its counters again', { error }),
  };
};

/** The read API: the routes of query-deployments in lib/domain/routes.ts. */
export const handler = httpFunction({ name: 'query-deployments', ok: 'Served' }).handler(readHandler(dependencies()));
