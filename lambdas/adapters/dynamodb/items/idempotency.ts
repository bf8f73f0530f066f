import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { DecisionState } from '../../../ports/decision-store';
import { keyAttributes, s, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * A client's request id (`REQ#<client>#<request id>` / `REQ`): the first answer given to it and a keyed digest of
 * the body it came with, so a retry replays the answer and a reused id with another body is told apart. Kept for
 * `TTL_SECONDS.idempotency`.
 */
export const idempotencyKey = (key: string): ItemKey => ({ pk: `REQ#${key}`, sk: 'REQ' });

/** Written with the decision it answers, only if no decision took the id first. */
export function idempotencyPut(
  table: string,
  key: string,
  answer: { decisionId: string; response: unknown; bodyHash: string; at: number },
): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: {
        ...keyAttributes(idempotencyKey(key)),
        decisionId: s(answer.decisionId),
        response: s(JSON.stringify(answer.response)),
        bodyHash: s(answer.bodyHash),
        expiresAt: expiresAt(answer.at, TTL_SECONDS.idempotency),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function replayFromItem(item: Item | undefined): DecisionState['replay'] {
  if (!item?.response?.S) return undefined;
  return {
    decisionId: item.decisionId?.S ?? '',
    response: JSON.parse(item.response.S) as unknown,
    bodyHash: item.bodyHash?.S ?? '',
  };
}
