import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isStepUpMethod } from '../../../core/step-up/challenge-policy';
import type { GrantRedemption, StepUpRecord } from '../../../ports/challenge-store';
import { keyAttributes, n, s, type Item } from './item';
import { stepUpFromItem, stepUpKey } from './step-up';

/**
 * The ceremony's attributes on a step-up item (step-up.ts): code deliveries (`lastSentAt`, `resends`,
 * `lastChallengeId`), the grant (`grantedMethod`, `grantedChallengeId`, `grantedAt`), and each one-time use of it:
 * claims put into tokens (`claimsIssuedAt`), context learned (`learnedAt`), a change of authenticators redeemed
 * (`changeRedeemedAt`, `changeRedeemedFor`).
 */
export function stepUpRecordFromItem(item: Item): StepUpRecord {
  const base = stepUpFromItem(item);
  const raw = unmarshall(item) as Record<string, unknown>;
  const num = (name: string) => {
    const value = raw[name];
    return typeof value === 'number' ? value : undefined;
  };
  const lastSentAt = num('lastSentAt');
  const claimsIssuedAt = num('claimsIssuedAt');
  const learnedAt = num('learnedAt');
  const changeRedeemedAt = num('changeRedeemedAt');
  return {
    ...base,
    resends: num('resends') ?? 0,
    ...(lastSentAt !== undefined ? { lastSentAt } : {}),
    ...(typeof raw.lastChallengeId === 'string' ? { lastChallengeId: raw.lastChallengeId } : {}),
    ...(isStepUpMethod(raw.grantedMethod) ? { grantedMethod: raw.grantedMethod } : {}),
    ...(typeof raw.grantedChallengeId === 'string' ? { grantedChallengeId: raw.grantedChallengeId } : {}),
    ...(claimsIssuedAt !== undefined ? { claimsIssuedAt } : {}),
    ...(learnedAt !== undefined ? { learnedAt } : {}),
    ...(changeRedeemedAt !== undefined ? { changeRedeemedAt } : {}),
  };
}

/**
 * Redeems the grant for a change of authenticators, once, only if it is still as it was read and checked. It is
 * also marked consumed, so the decision API treats it as spent from then on.
 */
export function redeemForChange(
  table: string,
  redemption: GrantRedemption,
  now: number,
  purpose: string,
): TransactWriteItem {
  return {
    Update: {
      TableName: table,
      Key: keyAttributes(stepUpKey(redemption.stepUpId)),
      UpdateExpression:
        'SET changeRedeemedAt = :now, changeRedeemedFor = :purpose, #consumed = :true, revision = revision + :one',
      ConditionExpression: '#status = :granted AND attribute_not_exists(changeRedeemedAt) AND revision = :rev',
      ExpressionAttributeNames: { '#consumed': 'consumed', '#status': 'status' },
      ExpressionAttributeValues: {
        ':true': { BOOL: true },
        ':granted': s('granted'),
        ':now': n(now),
        ':purpose': s(purpose),
        ':one': n(1),
        ':rev': n(redemption.expectedRevision),
      },
    },
  };
}

/** Marks a granted step-up of `userId` as learned into the profile, once. */
export function markLearned(table: string, stepUpId: string, userId: string, now: number): TransactWriteItem {
  return {
    Update: {
      TableName: table,
      Key: keyAttributes(stepUpKey(stepUpId)),
      UpdateExpression: 'SET learnedAt = :now',
      ConditionExpression: '#status = :granted AND userId = :subject AND attribute_not_exists(learnedAt)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':now': n(now), ':granted': s('granted'), ':subject': s(userId) },
    },
  };
}
