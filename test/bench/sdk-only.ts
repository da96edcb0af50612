/**
 * A reference for the cold start, bundled exactly like the Lambda: the AWS SDK alone making the same two calls as a
 * cold request (BatchGetItem for the feed, then the TransactWriteItems of putDeployment), with the service's own
 * client (lib/store/client.ts). No middy, body decoding, validation or logging: what the SDK costs by itself.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lib/store/client.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { feedKey } from '../../lib/domain/keys.ts';

export const run = async (env: NodeJS.ProcessEnv, feedName: string, target: string): Promise<void> => {
  const client = documentClient();
  const feeds = env.FEEDS_TABLE!;
  const out = await client.send(new BatchGetCommand({ RequestItems: { [feeds]: { Keys: [feedKey(feedName)] } } }));
  if (out.Responses?.[feeds]?.length !== 1) throw new Error(`feed ${feedName} not found`);
  const now = new Date().toISOString();
  await putDeployment(
    client,
    { deployments: env.DEPLOYMENTS_TABLE!, idempotency: env.IDEMPOTENCY_TABLE! },
    {
      feedName,
      packageName: 'Newtonsoft.Json',
      version: '12.0.3',
      target,
      application: 'ProfitCalc',
      description: 'Deployed by Custom Release Server',
      userName: 'Anonymous',
      date: now,
      receivedAt: now,
      keyId: 'anonymous',
      region: env.AWS_REGION ?? 'local',
    },
  );
};
