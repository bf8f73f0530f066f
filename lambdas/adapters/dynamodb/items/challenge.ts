import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isStepUpMethod } from '../../../core/step-up/challenge-policy';
import type { StoredChallenge } from '../../../ports/challenge-store';
import { keyAttributes, n, s, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * A one-time-code challenge (`CHALLENGE#<id>` / `CHALLENGE`), in its own partition: it is read and counted by id
 * only. It holds the code's hash, never the code. `validUntil` (epoch ms) ends the code; the item itself stays
 * `TTL_SECONDS.challengeRetention` longer for investigations.
 */
export const challengeKey = (challengeId: string): ItemKey => ({ pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' });

export function challengeToItem(challenge: StoredChallenge): Item {
  return {
    ...keyAttributes(challengeKey(challenge.challengeId)),
    challengeId: s(challenge.challengeId),
    userId: s(challenge.userId),
    subjectId: s(challenge.subjectId),
    stepUpId: s(challenge.stepUpId),
    method: s(challenge.method),
    destination: s(challenge.destination),
    createdAt: n(challenge.createdAt),
    validUntil: n(challenge.expiresAt),
    tries: n(challenge.tries),
    expiresAt: expiresAt(challenge.expiresAt, TTL_SECONDS.challengeRetention),
    ...(challenge.codeHash !== undefined ? { codeHash: s(challenge.codeHash) } : {}),
  };
}

/** Undefined for an item whose method this version does not know (never usable). */
export function challengeFromItem(item: Item): StoredChallenge | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (!isStepUpMethod(raw.method)) return undefined;
  return {
    challengeId: String(raw.challengeId),
    userId: String(raw.userId),
    subjectId: String(raw.subjectId),
    stepUpId: String(raw.stepUpId),
    method: raw.method,
    destination: typeof raw.destination === 'string' ? raw.destination : '***',
    createdAt: Number(raw.createdAt),
    expiresAt: Number(raw.validUntil),
    tries: Number(raw.tries),
    ...(typeof raw.codeHash === 'string' ? { codeHash: raw.codeHash } : {}),
    ...(raw.usedAt !== undefined ? { usedAt: Number(raw.usedAt) } : {}),
  };
}
