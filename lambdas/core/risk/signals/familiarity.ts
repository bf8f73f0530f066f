import type { Policy } from '../../policy/policy-schema';
import type { ContextKeys } from '../context-keys';
import { countOfSighting, sightingsOf, type ContextSightings } from '../profile';
import type { GlobalStats, Reason, UserProfile } from '../types';
import type { SignalContext } from './context';

/**
 * Familiarity after Freeman et al., "Who Are You? A Statistical Approach to Measuring User Authenticity"
 * (NDSS 2016), with the hierarchical weights Wiefling et al. fitted on the RBA dataset.
 *
 * For a feature x with hierarchy levels l (IP → ASN/prefix → country; UA → browser → OS → device type), Freeman
 * backs off from the exact value to coarser ones:
 *
 *   p(x | user)   = Σ_l w_l · p(x_l | user) · p(x | x_l)         p(x | global) = Σ_l w_l · p(x_l) · p(x | x_l)
 *
 * where p(x | x_l) = p(x) / p(x_l) is the global chance of the exact value within its coarser value. The second
 * sum collapses to p(x), so the likelihood ratio needs no per-level conditional tables:
 *
 *   LR = p(x | global) / p(x | user) = 1 / Σ_l w_l · r_l        with the lift r_l = p(x_l | user) / p(x_l)
 *
 * Smoothing is a Dirichlet prior centred on the population: p(x_l | user) = (c_l + s · p(x_l)) / (N + s) with c_l
 * the user's trusted count, N their trusted sessions and s the policy's `smoothing`, so r_l = (c_l / p(x_l) + s) /
 * (N + s). The population probability is p(x_l) = (g_l + 1) / (G + 1), which is 1 when no global counts exist
 * yet. Consequences that keep the score explainable:
 * - a context the user always uses scores LR ≈ 0 (familiar, 0 points);
 * - a context never seen at any level scores LR = (N + s) / s: more history makes novelty more telling, and a
 *   user with no history scores LR = 1 (no evidence either way; the new-user rule covers them);
 * - sharing a rare coarse value (an ASN few others use) is stronger evidence than sharing a common one.
 *
 * Points = clamp(round(pointsPerDecade · log10 LR), 0, maxPoints) per hierarchy: never negative, because a risk
 * signal may only add friction.
 */

export interface FreemanLevel {
  /** How often the user's trusted sessions had this level's value. */
  userCount: number;
  /** How many trusted sessions in the population had it. */
  globalCount: number;
  /** Hierarchy weight (any non-negative scale; normalized). */
  weight: number;
}

/** Likelihood ratio p(global) / p(user) for one hierarchical feature. */
export function freemanLikelihoodRatio(
  levels: readonly FreemanLevel[],
  userTotal: number,
  globalTotal: number,
  smoothing: number,
): number {
  let weightSum = 0;
  let lift = 0;
  const n = Math.max(0, userTotal);
  const g = Math.max(0, globalTotal);
  for (const level of levels) {
    const pGlobal = (Math.max(0, level.globalCount) + 1) / (g + 1);
    lift += level.weight * ((Math.max(0, level.userCount) / pGlobal + smoothing) / (n + smoothing));
    weightSum += level.weight;
  }
  return lift > 0 ? weightSum / lift : 1;
}

export function ratioPoints(ratio: number, familiarity: Policy['weights']['familiarity']): number {
  if (!(ratio > 1)) return 0;
  return Math.min(familiarity.maxPoints, Math.max(0, Math.round(familiarity.pointsPerDecade * Math.log10(ratio))));
}

export interface FreemanPart {
  ratio: number;
  points: number;
  levels: FreemanLevel[];
}

export interface FreemanScore {
  ip: FreemanPart;
  ua: FreemanPart;
  /** Product of both ratios: Freeman's risk score without the attack and login-frequency priors. */
  ratio: number;
}

/**
 * Freeman familiarity of a request context against a user's trusted profile. Usable on its own, e.g. by an
 * offline evaluator that replays the RBA dataset (build profiles with `learn`, keys with `contextKeys`). `seen`:
 * the keys' trusted sightings when the caller has already looked them up.
 */
export function freemanScore(
  profile: UserProfile | undefined,
  keys: ContextKeys,
  global: GlobalStats,
  familiarity: Policy['weights']['familiarity'],
  seen: ContextSightings = sightingsOf(profile?.trusted, keys),
): FreemanScore {
  const n = profile?.trustedEvents ?? 0;
  const s = familiarity.smoothing;
  const wi = familiarity.ip;
  const wu = familiarity.ua;
  // An ASN is the better network identity; the /24 or /48 prefix stands in when the locator has none.
  const network =
    keys.asn !== undefined
      ? { userCount: countOfSighting(seen.asn), globalCount: global.asn, weight: wi.asn }
      : { userCount: countOfSighting(seen.prefix), globalCount: global.prefix, weight: wi.asn };
  const ipLevels: FreemanLevel[] = [
    { userCount: countOfSighting(seen.ip), globalCount: global.ip, weight: wi.ip },
    network,
    { userCount: countOfSighting(seen.country), globalCount: global.country, weight: wi.country },
  ];
  const uaLevels: FreemanLevel[] = [
    { userCount: countOfSighting(seen.ua), globalCount: global.ua, weight: wu.ua },
    { userCount: countOfSighting(seen.browser), globalCount: global.browser, weight: wu.browser },
    { userCount: countOfSighting(seen.os), globalCount: global.os, weight: wu.os },
    { userCount: countOfSighting(seen.deviceType), globalCount: global.deviceType, weight: wu.deviceType },
  ];
  const ipRatio = freemanLikelihoodRatio(ipLevels, n, global.total, s);
  const uaRatio = freemanLikelihoodRatio(uaLevels, n, global.total, s);
  return {
    ip: { ratio: ipRatio, points: ratioPoints(ipRatio, familiarity), levels: ipLevels },
    ua: { ratio: uaRatio, points: ratioPoints(uaRatio, familiarity), levels: uaLevels },
    ratio: ipRatio * uaRatio,
  };
}

function formatRatio(r: number): string {
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1);
}

function seen(count: number): string {
  return count > 0 ? `${count}×` : 'new';
}

/** One reason per hierarchy that scores points; a familiar context adds nothing to the explanation. */
export function familiaritySignals(ctx: SignalContext): Reason[] {
  const { input } = ctx;
  if (ctx.history === undefined) return [];
  const score = freemanScore(ctx.history, ctx.keys, input.global, input.policy.weights.familiarity, ctx.seen);
  const out: Reason[] = [];
  const n = ctx.history.trustedEvents;
  const [ip, net, country] = score.ip.levels;
  if (score.ip.points > 0 && ip && net && country) {
    out.push({
      code: 'familiarity.ip',
      points: score.ip.points,
      detail:
        `likelihood ratio ${formatRatio(score.ip.ratio)} over ${n} trusted sessions ` +
        `(IP ${seen(ip.userCount)}, ${ctx.keys.asn !== undefined ? 'ASN' : 'prefix'} ${seen(net.userCount)}, ` +
        `country ${seen(country.userCount)})`,
    });
  }
  const [ua, browser, os, type] = score.ua.levels;
  if (score.ua.points > 0 && ua && browser && os && type) {
    out.push({
      code: 'familiarity.ua',
      points: score.ua.points,
      detail:
        `likelihood ratio ${formatRatio(score.ua.ratio)} over ${n} trusted sessions ` +
        `(UA ${seen(ua.userCount)}, browser ${seen(browser.userCount)}, OS ${seen(os.userCount)}, ` +
        `device type ${seen(type.userCount)})`,
    });
  }
  return out;
}
