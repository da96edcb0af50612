import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ItemChange } from '../domain/events.ts';

/**
 * A DynamoDB Streams record, as Lambda's event source mapping delivers it, as the Streams API's GetRecords returns it,
 * and as the embedded engine's transactions publish it (infra/local/dynalite-transactions.ts): the images in
 * DynamoDB's attribute-value JSON. Only what the dispatcher reads is typed.
 */
export type StreamRecord = {
  eventID?: string | undefined;
  eventName?: string | undefined;
  dynamodb?:
    | {
        Keys?: Record<string, unknown> | undefined;
        NewImage?: Record<string, unknown> | undefined;
        OldImage?: Record<string, unknown> | undefined;
        SequenceNumber?: string | undefined;
        ApproximateCreationDateTime?: number | Date | undefined;
      }
    | undefined;
};

const image = (raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  raw ? unmarshall(raw as Record<string, AttributeValue>, { wrapNumbers: false }) : undefined;

/** The record's change with its images unmarshalled, for the domain's announcedEvent. */
export const itemChange = (record: StreamRecord): ItemChange => ({
  eventName: record.eventName,
  newImage: image(record.dynamodb?.NewImage),
  oldImage: image(record.dynamodb?.OldImage),
});
