import { replacedRecord, type ReplacedRecord } from '../domain/retention.ts';
import { itemChange, type StreamRecord } from '../store/stream.ts';

/**
 * The dispatcher's retention step: a record that a newer one replaced as its target's current record was written
 * without an expiry (what a target runs is never expired); its history item gets one now, from the current item's
 * change on the stream (lib/domain/retention.ts's replacedRecord). The record transaction cannot do it: it does not
 * read the item it replaces. `retention apply` repairs anything this step missed.
 */
export type ExpireReplaced = (replaced: ReplacedRecord) => Promise<boolean>;

/**
 * Applies the step to a batch in stream order; resolves with the index of the first record whose write failed (left
 * for the stream to retry from), or undefined. A record the step cannot read is not its concern (the dispatcher logs it).
 */
export const expireReplacedRecords = async (
  records: StreamRecord[],
  expire: ExpireReplaced,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<number | undefined> => {
  for (const [index, record] of records.entries()) {
    let replaced: ReplacedRecord | undefined;
    try {
      replaced = replacedRecord(itemChange(record));
    } catch {
      continue;
    }
    if (!replaced) continue;
    try {
      await expire(replaced);
    } catch (e) {
      log('could not set the expiry of a replaced record; the record will be retried', { eventID: record.eventID, error: (e as Error).message });
      return index;
    }
  }
  return undefined;
};
