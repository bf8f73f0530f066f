import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { SightingMap, UserProfile } from '../../../core/risk/types';
import { keyAttributes, n, numberAttribute, s, type Item, type ItemKey } from './item';
import { memberId } from './velocity';

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
  // The failure route notes failures on the item; they are folded in here, so a write-back keeps them.
  return item?.profile?.S ? { profile: withNotedFailures(item), revision } : { revision };
}

/** Hashed form of a failed attempt's address or network, as noted on the profile item. */
export function failedKeyOf(kind: 'ip' | 'net', value: string): string {
  return memberId(`${kind}:${value}`);
}

/**
 * The profile document of an item, with the failures noted on the item (`lastFailureAt`, `failedKeys`) since the
 * document was last written folded in (see core `recordFailure`): pending addresses and networks they came from
 * are tainted, so they are never confirmed by repetition.
 */
function withNotedFailures(item: Item): UserProfile {
  const profile = JSON.parse(item.profile?.S ?? '{}') as UserProfile;
  const failedAt = Number(item.lastFailureAt?.N);
  if (Number.isFinite(failedAt) && !(failedAt <= (profile.lastFailure ?? -Infinity))) profile.lastFailure = failedAt;
  const noted = new Set(item.failedKeys?.SS ?? []);
  if (noted.size > 0 && profile.pending) {
    const taint = (map: SightingMap | undefined, kind: 'ip' | 'net') => {
      if (map === undefined) return;
      for (const key of Object.keys(map)) {
        const sighting = map[key];
        if (sighting && noted.has(failedKeyOf(kind, key))) sighting.tainted = true;
      }
    };
    taint(profile.pending.ips, 'ip');
    taint(profile.pending.asns, 'net');
    taint(profile.pending.prefixes, 'net');
  }
  return profile;
}

/**
 * Notes a failed attempt on the user's profile item, if there is one (no profile: nothing learned that a failure
 * could hold back): its time, and the hashed address and network it came from. The revision moves with it, so a
 * decision that read the profile before must read it again and its write cannot drop the note.
 */
export function failureNoteUpdate(table: string, userId: string, now: number, failedKeys: readonly string[]) {
  return {
    TableName: table,
    Key: keyAttributes(profileKey(userId)),
    UpdateExpression: `SET lastFailureAt = :now ADD revision :one${failedKeys.length > 0 ? ', failedKeys :keys' : ''}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: {
      ':now': n(now),
      ':one': n(1),
      ...(failedKeys.length > 0 ? { ':keys': { SS: [...failedKeys] } } : {}),
    },
  };
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
