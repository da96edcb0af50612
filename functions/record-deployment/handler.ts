import { httpFunction } from '../../lib/http/chain.ts';
import { bodyFields, type DecodedRequest } from '../../lib/http/body-fields.ts';
import { defaultDependencies, recordDeploymentHandler, type RecordDependencies } from '../../lib/app/record.ts';

/**
 * POST /api/package-deployment/ (ProGet's Package Deployment API). Its dependencies are built at load, so a bad
 * configuration fails the cold start, naming the variable, instead of answering every request with a 500.
 * `createHandler` builds the same chain for given dependencies (the benchmark injects a store stub).
 */
export const createHandler = (deps: RecordDependencies) =>
  httpFunction<DecodedRequest>({ name: 'record-deployment', methods: ['POST'], ok: 'Recorded' })
    .use(bodyFields())
    .handler(recordDeploymentHandler(deps));

export const handler = createHandler(defaultDependencies());
