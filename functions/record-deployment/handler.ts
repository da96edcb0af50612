import { httpFunction } from '../../lib/http/chain.ts';
import { bodyFields, type DecodedRequest } from '../../lib/http/body-fields.ts';
import { recordDeploymentHandler, type RecordDependencies } from '../../lib/app/record-deployment.ts';
import { documentClient } from '../../lib/store/client.ts';
import { config } from '../../lib/store/config.ts';
import { configuredDirectory } from '../../lib/store/directory.ts';

/**
 * The recording route of lib/domain/routes.ts (ProGet's Package Deployment API). Its dependencies are built at load, so a bad
 * configuration fails the cold start, naming the variable, instead of answering every request with a 500.
 * `createHandler` builds the same chain for given dependencies (the benchmark injects a store stub).
 */
export const createHandler = (deps: RecordDependencies) =>
  httpFunction<DecodedRequest>({ name: 'record-deployment', ok: 'Recorded' }).use(bodyFields()).handler(recordDeploymentHandler(deps));

/** The deployed function's dependencies: the validated configuration (lib/store/config.ts) and the shared client. */
const dependencies = (): RecordDependencies => {
  const c = config();
  const client = documentClient();
  return {
    client,
    directory: configuredDirectory(client, c),
    tables: { deployments: c.deploymentsTable, idempotency: c.idempotencyTable },
    region: c.region,
    now: () => new Date(),
  };
};

export const handler = createHandler(dependencies());
