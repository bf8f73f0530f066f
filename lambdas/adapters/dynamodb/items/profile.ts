import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { UserProfile } from '../../../core/risk/types';
import { keyAttributes, n, numberAttribute, s, type Item, type ItemKey } from './item';

/**
 * A user's trusted profile (`USER#<user id>` / `PROFILE`): the profile as JSON (so DynamoDB's type mapping can never
 * alter it), an optimistic-lock `revision` and `updatedAt` (epoch ms). It never expires. Keyed by the decision API's
 * user id; the step-up ceremony's items under the same `USER#` partition use other sort keys.
 */
export const profileKey = (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'PROFILE' });

export interface StoredProfile {
  readonly profile?: UserProfile;
  /** 0 when there is no profile item yet. */
  readonly revision: number;
}

export function profileFromItem(item: Item | undefined): StoredProfile {
  const revision = numberAttribute(item, 'revision');
  const json = item?.profile?.S;
  return json ? { profile: JSON.parse(json) as UserProfile, revision } : { revision };
}

/**
 * The one profile write: the next profile, only if the stored one is still at `expectedRevision` (or absent), so
 * two writers that read the same revision cannot both win and one learned context is never silently lost. Decisions
 * and post-authentication learning both write it inside their transaction.
 */
export function profileWrite(
  table: string,
  userId: string,
  next: UserProfile,
  expectedRevision: number,
  at: number,
): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: {
        ...keyAttributes(profileKey(userId)),
        profile: s(JSON.stringify(next)),
        revision: n(expectedRevision + 1),
        updatedAt: n(at),
      },
      ConditionExpression: 'attribute_not_exists(pk) OR revision = :rev',
      ExpressionAttributeValues: { ':rev': n(expectedRevision) },
    },
  };
}
