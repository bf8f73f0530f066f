import type { Policy } from '../../policy/policy-schema';
import type { Reason } from '../types';

/**
 * The attacker side of the likelihood ratios: how likely an attacker with the right password is to produce each
 * observation. They describe the threat model of Wiefling et al. (naive, VPN, targeted attackers), not any one
 * data set: most attackers come from a network the victim never used (a stolen password cannot bring the victim's
 * line along), some sit in the victim's own country or region, few copy the exact browser. The user side of every
 * ratio is the user's own habit (see habits.ts), so the same observation weighs little for a user who often brings
 * it and much for one who never does.
 */
export const ATTACKER = {
  /** Lands in a network (AS) the user trusts, e.g. a residential proxy on the victim's provider. */
  knownNetwork: 0.15,
  /** Comes from a country, region or city the user never used. */
  newCountry: 0.35,
  newRegion: 0.5,
  newCity: 0.65,
  /** Brings a browser family, OS or device type the user never used. */
  newUserAgent: 0.6,
  /** Brings the user's browser and OS in a version the user never used. */
  otherVersion: 0.2,
  /** Sends a device id the user never used. */
  newDevice: 0.95,
  /** Signs in from a place the victim could not have reached since their last login. */
  impossibleTravel: 0.25,
  /** Fails a password from the same address before getting in. */
  failedBefore: 0.3,
} as const;

/**
 * Of a user's new versions of their own browser, the share that are older than the newest they used: browsers
 * update forwards, so going back is rare for the owner, while a copied or guessed user agent is as often older.
 */
export const OLDER_VERSION_SHARE = 0.1;

/** The user side of the failed-before ratio: how often a legitimate login follows a typo from the same address. */
export const TYPO_BEFORE_SUCCESS = 0.05;

/** Of the networks legitimate users newly adopt, the share that follows the population (see network.rare). */
export const POPULAR_MOVES = 0.9;

/** The population needs this many users before its shares mean anything. */
export const MIN_POPULATION = 50;

/** Logins per day of an ordinary user: attacks reach quiet accounts as often as busy ones. */
export const ORDINARY_ACTIVITY = 0.5;

export type Evidence = Policy['weights']['evidence'];

/**
 * Points of a likelihood ratio: weight × pointsPerDecade × log10(LR), never negative (a risk signal only adds
 * friction), at most maxPoints. Unrounded: the engine rounds the total once.
 */
export function ratioPoints(ratio: number, weight: number, e: Evidence): number {
  if (!(ratio > 1) || !(weight > 0)) return 0;
  return Math.min(e.maxPoints, weight * e.pointsPerDecade * Math.log10(ratio));
}

export function percent(p: number): string {
  const x = p * 100;
  return `${x >= 10 ? Math.round(x) : x.toFixed(1)} %`;
}

export function formatRatio(r: number): string {
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1);
}

/** A reason for a likelihood ratio, or nothing when it adds no points. */
export function evidenceReason(
  out: Reason[],
  code: string,
  ratio: number,
  weight: number,
  e: Evidence,
  detail: string,
): void {
  const points = ratioPoints(ratio, weight, e);
  if (points > 0) out.push({ code, points, detail: `${detail} (likelihood ratio ${formatRatio(ratio)})` });
}
