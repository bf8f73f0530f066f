import type { UserFailureBudgetState } from '../../../core/step-up/challenge-policy';
import type { Item, ItemKey } from './item';

/**
 * A Cognito user's step-up failure budget across challenges (`USER#<username>` / `STEPUP#FAILURES`): `failures`
 * in the window that began at `windowStartedAt` (epoch ms). Its TTL is the window's end plus
 * `TTL_SECONDS.failureBudgetGrace`. Resending a code does not reset it.
 */
export const failureBudgetKey = (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'STEPUP#FAILURES' });

export function failureBudgetFromItem(item: Item | undefined): UserFailureBudgetState {
  if (!item) return { failures: 0 };
  const failures = Number(item.failures?.N ?? 0);
  const started = item.windowStartedAt?.N;
  return started === undefined ? { failures } : { failures, windowStartedAt: Number(started) };
}
