import { activityRate } from '../habits';
import type { Reason } from '../types';
import type { SignalContext } from './context';
import { ORDINARY_ACTIVITY, evidenceReason, percent } from './evidence';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * When the user signs in, against their own habits:
 * - `time.unusual_hour`: an attacker picks no particular hour, the user has their own: likelihood ratio
 *   (1/24) / p(hour | user), from the user's decayed hour-of-day counts (after three logins);
 * - `user.dormant`: attacks reach quiet accounts as often as busy ones, while a quiet account's owner rarely signs
 *   in: ordinary activity / this user's activity lately (a user silent for weeks counts as quiet, whatever they
 *   did before).
 */
export function habitSignals(ctx: SignalContext): Reason[] {
  const h = ctx.history;
  if (h === undefined || h.habits === undefined) return [];
  const { input } = ctx;
  const e = input.policy.weights.evidence;
  const out: Reason[] = [];
  if (ctx.habits.n >= 3) {
    const hour = (((input.now % DAY) + DAY) % DAY) / HOUR;
    const p = ctx.habits.hourProbability(hour);
    const label = `${String(Math.floor(hour)).padStart(2, '0')}:00 UTC`;
    evidenceReason(
      out,
      'time.unusual_hour',
      1 / 24 / p,
      e.hour,
      e,
      `${label} holds ${percent(p)} of this user's logins`,
    );
  }
  const rate = activityRate(h, input.now, input.policy.learning.halfLifeDays);
  if (rate > 0) {
    const silent = h.lastSeen === undefined ? 0 : Math.max(0, (input.now - h.lastSeen) / DAY);
    evidenceReason(
      out,
      'user.dormant',
      ORDINARY_ACTIVITY / rate,
      e.dormancy,
      e,
      `about ${rate >= 0.1 ? rate.toFixed(1) : rate.toFixed(2)} logins a day lately, last ${Math.round(silent)} days ago`,
    );
  }
  return out;
}
