import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import type { Item } from './items/item';

/** BatchGetItem takes at most 100 keys per request. */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * One BatchGetItem and, under throttling only, the retries of its UnprocessedKeys (the documented contract of the
 * API, with exponential back-off). Returns the items found, per table. `onAttempt` sees every request sent.
 */
export async function batchGetAll(
  client: DynamoDBClient,
  requestItems: Record<string, KeysAndAttributes>,
  onAttempt?: () => void,
): Promise<Map<string, Item[]>> {
  const found = new Map<string, Item[]>();
  let pending: Record<string, KeysAndAttributes> | undefined = requestItems;
  for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    if (attempt > 5) throw new Error('BatchGetItem kept returning unprocessed keys');
    onAttempt?.();
    const out: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand({ RequestItems: pending }));
    for (const [table, items] of Object.entries(out.Responses ?? {})) {
      const list = found.get(table) ?? [];
      for (const item of items) list.push(item);
      found.set(table, list);
    }
    pending = out.UnprocessedKeys;
  }
  return found;
}
