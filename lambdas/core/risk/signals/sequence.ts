import type { Reason } from '../types';
import { reason, type SignalContext } from './context';
import { ATTACKER, TYPO_BEFORE_SUCCESS, evidenceReason } from './evidence';

/**
 * What happened just before, from the counters read with the profile:
 * - `sequence.failed_before`: a failed sign-in of this user from this very address within the hour, and the
 *   address is not one the user trusts: attackers try a leak's password variants, while a typo before a success is
 *   rare and usually comes from home;
 * - `sequence.network_switch`: the user's previous request came from another network (AS number) only minutes ago.
 */
export function sequenceSignals(ctx: SignalContext): Reason[] {
  const { input, keys } = ctx;
  const v = input.velocity;
  const out: Reason[] = [];
  if (v.failedSignInFromIp === true && ctx.seen.ip === undefined) {
    const e = input.policy.weights.evidence;
    evidenceReason(
      out,
      'sequence.failed_before',
      ATTACKER.failedBefore / TYPO_BEFORE_SUCCESS,
      e.failedBefore,
      e,
      'a failed sign-in from this unfamiliar address within the hour',
    );
  }
  const prev = v.previous;
  const rule = input.policy.weights.sequence.networkSwitch;
  // By AS number only: the store remembers the previous request's network in that form.
  const network = keys.asn;
  if (
    prev !== undefined &&
    rule.points > 0 &&
    network !== undefined &&
    prev.network !== network &&
    prev.at <= input.now &&
    input.now - prev.at <= rule.withinMinutes * 60_000
  ) {
    const minutes = Math.max(0, Math.round((input.now - prev.at) / 60_000));
    out.push(
      reason('sequence.network_switch', rule.points, `previous request ${minutes} min ago came from another network`),
    );
  }
  return out;
}
