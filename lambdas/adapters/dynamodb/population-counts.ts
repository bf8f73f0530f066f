import { contextKeys } from '../../core/risk/context-keys';
import type { GlobalStats, ProfileMaps, RequestFeatures, UserProfile } from '../../core/risk/types';
import { keys as riskKeys } from './risk-keys';

export type GlobalLevel = Exclude<keyof GlobalStats, 'total'>;
export type GlobalKeys = Partial<Record<GlobalLevel, string>>;

/** The trusted-profile map holding each population level's values. */
const PROFILE_MAP_OF: Record<GlobalLevel, keyof ProfileMaps> = {
  ip: 'ips',
  prefix: 'prefixes',
  asn: 'asns',
  country: 'countries',
  ua: 'uas',
  browser: 'browsers',
  os: 'oses',
  deviceType: 'deviceTypes',
};

/**
 * The population counters a profile update moves. Population counts are counts of USERS: a value adds 1 when it
 * becomes trusted for a user, and the total adds 1 with a user's first recorded login. A familiar login therefore
 * moves no counter, which keeps these hot items off the common path; p(value) is the share of users who trust it.
 * Both the decision store and the step-up store (learning after a passed step-up) count this way. `previous`: the
 * profile before the update (null: the caller does not have it; a value then counts when its count is 1).
 */
export function populationIncrements(
  next: UserProfile,
  levels: GlobalKeys,
  previous: UserProfile | null | undefined = null,
): { pk: string; sk: string }[] {
  const out: { pk: string; sk: string }[] = [];
  const first = previous === null ? next.trustedEvents === 1 : (previous?.trustedEvents ?? 0) === 0;
  if (first && next.trustedEvents >= 1) out.push(riskKeys.globalTotal());
  for (const [level, value] of Object.entries(levels) as [GlobalLevel, string | undefined][]) {
    if (value === undefined) continue;
    const map = PROFILE_MAP_OF[level];
    const trustedNow = Object.hasOwn(next.trusted[map] ?? {}, value);
    const counted =
      previous === null
        ? trustedNow && next.trusted[map][value]?.count === 1
        : trustedNow && !Object.hasOwn(previous?.trusted?.[map] ?? {}, value);
    if (counted) out.push(riskKeys.global(level, value));
  }
  return out;
}

/** The population levels of a request, keyed as the user's profile keys them (see GlobalStats). */
export function globalKeys(features: RequestFeatures): GlobalKeys {
  const keys = contextKeys(features);
  return {
    ip: keys.ip,
    prefix: keys.prefix,
    asn: keys.asn,
    country: keys.country,
    ua: keys.ua,
    browser: keys.browser,
    os: keys.os,
    deviceType: keys.deviceType,
  };
}
