import { parseArgs } from 'node:util';
import { stageTableNames } from './tables.ts';

/**
 * `eval "$(npm run -s stage-env -- --stage prod --region eu-west-1)"`: the variables that point the admin CLI (and the
 * end-to-end suite's use of it) at a deployed stage's tables in one region. Offline: it prints names, it asks AWS
 * nothing.
 */
const stageEnv = (stage: string, region: string): string[] => {
  const t = stageTableNames(stage);
  return [
    `export AWS_REGION=${region}`,
    `export DEPLOYMENTS_TABLE=${t.deployments}`,
    `export FEEDS_TABLE=${t.feeds}`,
    `export API_KEYS_TABLE=${t.apiKeys}`,
    `export IDEMPOTENCY_TABLE=${t.idempotency}`,
    `export WEBHOOKS_TABLE=${t.webhooks}`,
    'unset AWS_ENDPOINT_URL_DYNAMODB',
  ];
};

if (import.meta.main) {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, region: { type: 'string' } }, strict: true });
  const name = /^[A-Za-z0-9-]+$/;
  if (!values.stage || !values.region || !name.test(values.stage) || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(values.region)) {
    console.error('Usage: eval "$(npm run -s stage-env -- --stage STAGE --region REGION)"');
    process.exit(2);
  }
  console.log(stageEnv(values.stage, values.region).join('\n'));
}
