import type { Reason } from '../types';
import type { SignalContext } from './context';

/** The explicit new-user rule: fewer recorded logins than `weights.newUser.historyBelow`. */
export function newUserSignals(ctx: SignalContext): Reason[] {
  const rule = ctx.input.policy.weights.newUser;
  const n = ctx.input.profile?.trustedEvents ?? 0;
  if (n >= rule.historyBelow) return [];
  const detail =
    n === 0 ? 'no login recorded yet' : `${n} recorded login${n === 1 ? '' : 's'} (fewer than ${rule.historyBelow})`;
  return [{ code: 'user.new', points: rule.points, detail }];
}
