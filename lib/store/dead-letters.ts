import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * The SQS queue the dispatcher dead-letters deliveries to: `send` writes one message, the letter as JSON. `queue` is
 * the queue's URL or its name; a name is looked up once, when the first letter is sent (GetQueueUrl: the URL holds
 * the account id), and looked up again after a failed lookup.
 */
export const sqsDeadLetters = (queue: string, client: SQSClient = new SQSClient({})) => {
  let queueUrl: Promise<string> | undefined;
  return {
    send: async (letter: object): Promise<void> => {
      queueUrl ??= /^https:\/\//.test(queue)
        ? Promise.resolve(queue)
        : client.send(new GetQueueUrlCommand({ QueueName: queue })).then((r) => r.QueueUrl ?? Promise.reject(new Error(`no URL for queue ${queue}`)));
      const url = await queueUrl.catch((e: unknown) => {
        queueUrl = undefined;
        throw e;
      });
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(letter) }));
    },
  };
};
