import type { Policy } from '../policy/policy-schema';
import { KEY_MAPS, contextKeys, type ContextKeys } from './context-keys';
import { recordHabit } from './habits';
import { emptyMaps, emptyProfile, isFresh, knownSighting, sighting } from './profile';
import { isImpossibleTravel, travelFrom } from './signals/geo';
import type { ProfileMaps, RequestFeatures, Sighting, SightingMap, UserProfile } from './types';

export { contextKeys, emptyProfile, type ContextKeys };

const DAY = 86_400_000;

type MapLimits = Readonly<Record<keyof ProfileMaps, number>>;

/**
 * Entries kept per map. With keys bounded to 64 characters a full profile (trusted, pending, unverified and the
 * habits) stays under 20 KB as a DynamoDB item; least recently seen entries are evicted first so the profile
 * follows the user's current habits.
 */
export const PROFILE_LIMITS: { readonly trusted: MapLimits; readonly unverified: MapLimits } = {
  trusted: {
    devices: 10,
    ips: 10,
    prefixes: 10,
    asns: 10,
    countries: 10,
    regions: 10,
    cities: 10,
    uas: 8,
    browsers: 8,
    oses: 8,
    deviceTypes: 4,
  },
  // Also the limits of the pending maps: a user rarely has more than a few places waiting for confirmation.
  unverified: {
    devices: 3,
    ips: 3,
    prefixes: 3,
    asns: 3,
    countries: 3,
    regions: 3,
    cities: 3,
    uas: 3,
    browsers: 3,
    oses: 3,
    deviceTypes: 2,
  },
};

export type LearningPolicy = Policy['learning'];

/** The learning parameters of the default policy, for callers that have no policy at hand (tests, tools). */
export const DEFAULT_LEARNING: LearningPolicy = {
  trustBelowScore: 47,
  confirmDays: 2,
  confirmUses: 2,
  trustDays: 120,
  halfLifeDays: 60,
};

/**
 * How a request is recorded:
 * - `trusted`: the user passed a step-up from this context: every value becomes trusted at once.
 * - `observed`: an allowed login without proof. Values already trusted stay trusted; new ones wait in `pending`
 *   until the user has used them on `confirmDays` separate days (`confirmUses` times) with no failed attempt from
 *   them since they were first seen (see `recordFailure`); a value first seen right after failed attempts of the
 *   user (`afterFailures`) waits for a step-up.
 * - `unverified`: challenged, failed or abandoned: kept for investigators, never read by the engine.
 */
export type LearnHow = 'trusted' | 'observed' | 'unverified';

export interface LearnOptions {
  learning?: LearningPolicy;
  /** The policy's travel rules, to count how often this user's logins jump impossibly far (default 900 km/h). */
  geo?: Policy['geo'];
  /** The request came right after failed attempts of this user (the velocity counts showed some). */
  afterFailures?: boolean;
}

function defineOwn(map: SightingMap, key: string, value: Sighting): void {
  // Assigning to "__proto__" would change the prototype instead of storing a key: that one key is defined. It is
  // the only accessor on Object.prototype, so every other key can take the (much cheaper) assignment.
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

function evictOne(map: SightingMap): void {
  let victim: string | undefined;
  let victimSeen = Infinity;
  let victimCount = Infinity;
  for (const key of Object.keys(map)) {
    const s = map[key];
    if (!s) continue;
    // Oldest first; among equally old the rarer; then key order, so eviction is deterministic.
    if (
      s.lastSeen < victimSeen ||
      (s.lastSeen === victimSeen && (s.count < victimCount || (s.count === victimCount && key < (victim ?? ''))))
    ) {
      victim = key;
      victimSeen = s.lastSeen;
      victimCount = s.count;
    }
  }
  if (victim !== undefined) delete map[victim];
}

// Copies by spread: it defines own data properties (a "__proto__" key stays a key) at a fraction of the cost of a
// defineProperty per key.
function put(source: SightingMap | undefined, key: string, value: Sighting, limit: number): SightingMap {
  const map: SightingMap = { ...source };
  if (!Object.hasOwn(map, key)) while (Object.keys(map).length >= limit) evictOne(map);
  defineOwn(map, key, value);
  return map;
}

function without(source: SightingMap | undefined, key: string): SightingMap {
  const map: SightingMap = { ...source };
  delete map[key];
  return map;
}

function copyMaps(maps: ProfileMaps | undefined): ProfileMaps {
  const out = emptyMaps();
  if (maps) for (const [, name] of KEY_MAPS) out[name] = maps[name] ?? {};
  return out;
}

function utcDay(t: number): number {
  return Math.floor(t / DAY);
}

const families = new Map<string, string>();

/** Browser key "Chrome 120" → "Chrome"; OS key "Mac OS 10.15.7" → "Mac OS". */
export function familyOf(key: string): string {
  let family = families.get(key);
  if (family === undefined) {
    family = key.replace(/ [\d._]+$/, '');
    // Keys come from a bounded set of browsers and systems; the bound only guards against a flood of odd ones.
    if (families.size > 10_000) families.clear();
    families.set(key, family);
  }
  return family;
}

/** True when some fresh trusted key of `map` has the family of `key` (the key itself aside). */
export function familyKnown(map: SightingMap | undefined, key: string | undefined, now: number, days: number): boolean {
  if (map === undefined || key === undefined) return false;
  if (isFresh(sighting(map, key), now, days)) return true;
  const family = familyOf(key);
  for (const k in map) {
    if (!Object.hasOwn(map, k) || !isFresh(map[k], now, days)) continue;
    if (k === key || familyOf(k) === family) return true;
  }
  return false;
}

/**
 * Records a request in a user's profile and returns the new profile (the input is not modified); see `LearnHow`.
 * Every recorded login (trusted or observed) also updates the user's habits: how often they bring new values at
 * each level, and at which hours they sign in.
 */
export function learn(
  profile: UserProfile | undefined,
  features: RequestFeatures,
  now: number,
  how: LearnHow,
  options: LearnOptions = {},
): UserProfile {
  const learning = options.learning ?? DEFAULT_LEARNING;
  const base = profile ?? emptyProfile(now);
  const keys = contextKeys(features);
  const trusted = copyMaps(base.trusted);
  const unverified = copyMaps(base.unverified);
  const pending = copyMaps(base.pending);
  const trustDays = learning.trustDays;
  // Novelty as the engine saw it when it scored this login (credited pending values count as known).
  const isKnown = (name: keyof ProfileMaps, key: string | undefined) =>
    knownSighting(base, name, key, now, trustDays) !== undefined;

  if (how === 'unverified') {
    for (const [field, name] of KEY_MAPS) {
      const key = keys[field];
      if (key === undefined || Object.hasOwn(trusted[name], key)) continue;
      const prev = sighting(unverified[name], key);
      unverified[name] = put(
        unverified[name],
        key,
        { count: (prev?.count ?? 0) + 1, lastSeen: Math.max(prev?.lastSeen ?? now, now) },
        PROFILE_LIMITS.unverified[name],
      );
    }
    return { ...base, unverified };
  }

  // What this login brought that the user had not proven, before anything is learned from it. The first login of
  // a profile is the baseline, not a novelty: it counts towards the habits' logins but brings nothing "new".
  const first = base.trustedEvents === 0;
  const ipNew = !isKnown('ips', keys.ip);
  const network: keyof ProfileMaps = keys.asn !== undefined ? 'asns' : 'prefixes';
  const networkKey = keys.asn ?? keys.prefix;
  const uaFamilyNew =
    !familyKnown(trusted.browsers, keys.browser, now, trustDays) ||
    !familyKnown(trusted.oses, keys.os, now, trustDays) ||
    !isKnown('deviceTypes', keys.deviceType);
  const novel = first
    ? {}
    : {
        net: !isKnown(network, networkKey),
        ip: ipNew,
        country: !isKnown('countries', keys.country),
        region: !isKnown('regions', keys.region),
        city: !isKnown('cities', keys.city),
        ua: uaFamilyNew,
        uaVersion: !uaFamilyNew && !isKnown('uas', keys.ua),
        device: keys.device !== undefined && !isKnown('devices', keys.device),
        travel: isImpossibleTravel(
          travelFrom(base.lastTrusted, features.geo, now),
          options.geo ?? { impossibleTravelKmh: 900, minDistanceKm: 100 },
        ),
      };

  // The first login recorded for an account vouches for itself (there is nothing to compare it with, and the
  // account was just created or its history expired); unless it came right after failed attempts.
  const proven = how === 'trusted' || (base.trustedEvents === 0 && !options.afterFailures);
  const lastFailure = base.lastFailure;
  for (const [field, name] of KEY_MAPS) {
    const key = keys[field];
    if (key === undefined) continue;
    const known = sighting(trusted[name], key);
    const waiting = sighting(pending[name], key);
    if (proven || isFresh(known, now, trustDays)) {
      const count = (isFresh(known, now, trustDays) ? known.count : 0) + (waiting?.count ?? 0) + 1;
      const next: Sighting = { count, lastSeen: Math.max(known?.lastSeen ?? now, now) };
      if (known?.fresh !== undefined) next.fresh = known.fresh;
      trusted[name] = put(trusted[name], key, next, PROFILE_LIMITS.trusted[name]);
      if (waiting) pending[name] = without(pending[name], key);
      if (Object.hasOwn(unverified[name], key)) unverified[name] = without(unverified[name], key);
      continue;
    }
    if (known) trusted[name] = without(trusted[name], key); // trust faded: the value must be proven again
    // Repetition proves a value only as an unbroken run of uses: a failed attempt of the user (from anywhere) since
    // the value was first seen starts its run again, so an attacker who got in once cannot ride out the owner's
    // failed sign-ins (or their own) until the value confirms itself.
    const interrupted =
      waiting !== undefined && lastFailure !== undefined && lastFailure >= (waiting.firstSeen ?? waiting.lastSeen);
    const run = interrupted ? undefined : waiting;
    const next: Sighting = {
      count: (run?.count ?? 0) + 1,
      lastSeen: Math.max(waiting?.lastSeen ?? now, now),
      firstSeen: run?.firstSeen ?? now,
      days: (run?.days ?? 0) + (run === undefined || utcDay(now) > utcDay(run.lastSeen) ? 1 : 0),
    };
    if (waiting?.tainted || (waiting === undefined && options.afterFailures)) next.tainted = true;
    const confirmed = !next.tainted && (next.days ?? 0) >= learning.confirmDays && next.count >= learning.confirmUses;
    if (confirmed) {
      trusted[name] = put(
        trusted[name],
        key,
        { count: next.count, lastSeen: next.lastSeen },
        PROFILE_LIMITS.trusted[name],
      );
      pending[name] = without(pending[name], key);
    } else {
      pending[name] = put(pending[name], key, next, PROFILE_LIMITS.unverified[name]);
    }
  }
  // Address churn per network: how often this user comes from a new address inside a network they trust.
  if (ipNew && !first) {
    for (const name of [network, 'prefixes'] as const) {
      const key = name === 'prefixes' ? keys.prefix : networkKey;
      const entry = sighting(trusted[name], key);
      if (key !== undefined && entry) defineOwn(trusted[name], key, { ...entry, fresh: (entry.fresh ?? 0) + 1 });
    }
  }

  const next: UserProfile = {
    schemaVersion: 2,
    createdAt: base.createdAt,
    trustedEvents: base.trustedEvents + 1,
    trusted,
    unverified,
    pending,
    // A login right after failed attempts tells nothing about the owner's habits (it may well be an attacker's):
    // counting its novelty would make the owner look like someone who often brings new places.
    habits:
      options.afterFailures && base.habits ? base.habits : recordHabit(base.habits, now, learning.halfLifeDays, novel),
    lastSeen: Math.max(base.lastSeen ?? now, now),
    ...(base.pseudonymous ? { pseudonymous: true } : {}),
  };
  if (lastFailure !== undefined) next.lastFailure = lastFailure;
  let lastTrusted = base.lastTrusted;
  const { geo } = features;
  if (
    geo.kind === 'public' &&
    Number.isFinite(geo.lat) &&
    Number.isFinite(geo.lon) &&
    (lastTrusted === undefined || lastTrusted.at <= now)
  ) {
    lastTrusted = { at: now, lat: geo.lat, lon: geo.lon };
    if (keys.country !== undefined) lastTrusted.country = keys.country;
    if (geo.city !== undefined) lastTrusted.city = geo.city;
  }
  if (lastTrusted !== undefined) next.lastTrusted = lastTrusted;
  return next;
}

/** Where a failed attempt came from: its address and its network key (ASN, else prefix). */
export interface FailureOrigin {
  ip?: string;
  network?: string;
}

/**
 * Notes a failed sign-in or step-up of the user at `now`. The address and network it came from, if still pending in
 * the profile, are never confirmed by repetition any more (only a step-up proves them): an attacker who fails a
 * password from a proxy and comes back from it cannot make it familiar by returning. A typo at home leaves the
 * user's other pending places alone.
 */
export function recordFailure(profile: UserProfile | undefined, now: number, origin: FailureOrigin = {}): UserProfile {
  const base = profile ?? emptyProfile(now);
  const pending = copyMaps(base.pending);
  const taint = (name: keyof ProfileMaps, key: string | undefined) => {
    const s = sighting(pending[name], key);
    if (s && key !== undefined && !s.tainted)
      pending[name] = put(pending[name], key, { ...s, tainted: true }, Infinity);
  };
  taint('ips', origin.ip);
  taint('asns', origin.network);
  taint('prefixes', origin.network);
  return { ...base, pending, lastFailure: Math.max(base.lastFailure ?? now, now) };
}

/**
 * The values of `keys` that are trusted in `next` but were not in `prev`: what the population counts must add
 * (each value counts once per user, when it becomes trusted for them).
 */
export function newlyTrusted(
  prev: UserProfile | undefined,
  next: UserProfile,
  keys: ContextKeys,
): (keyof ContextKeys)[] {
  const out: (keyof ContextKeys)[] = [];
  for (const [field, name] of KEY_MAPS) {
    const key = keys[field];
    if (key === undefined) continue;
    if (Object.hasOwn(next.trusted[name], key) && !Object.hasOwn(prev?.trusted?.[name] ?? {}, key)) out.push(field);
  }
  return out;
}
