import { KEY_MAPS, contextKeys, type ContextKeys } from './context-keys';
import { emptyProfile } from './profile';
import type { ProfileMaps, RequestFeatures, SightingMap, UserProfile } from './types';

export { contextKeys, emptyProfile, type ContextKeys };

type MapLimits = Readonly<Record<keyof ProfileMaps, number>>;

/**
 * Entries kept per map. With keys bounded to 64 characters a full profile (trusted + unverified) stays under
 * 20 KB as a DynamoDB item; least recently seen entries are evicted first so the profile follows the user's
 * current habits.
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
  unverified: {
    devices: 5,
    ips: 5,
    prefixes: 5,
    asns: 5,
    countries: 5,
    regions: 5,
    cities: 5,
    uas: 4,
    browsers: 4,
    oses: 4,
    deviceTypes: 2,
  },
};

function defineOwn(map: SightingMap, key: string, value: SightingMap[string]): void {
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
// defineProperty per key, which made `learn` ~3× the cost of a whole evaluation.
function bump(source: SightingMap | undefined, key: string, now: number, limit: number): SightingMap {
  const map: SightingMap = { ...source };
  const prev = Object.hasOwn(map, key) ? map[key] : undefined;
  if (prev) {
    defineOwn(map, key, { count: prev.count + 1, lastSeen: Math.max(prev.lastSeen, now) });
    return map;
  }
  while (Object.keys(map).length >= limit) evictOne(map);
  defineOwn(map, key, { count: 1, lastSeen: now });
  return map;
}

function without(source: SightingMap | undefined, key: string): SightingMap {
  const map: SightingMap = { ...source };
  delete map[key];
  return map;
}

function copyMaps(maps: ProfileMaps | undefined): ProfileMaps {
  const out = emptyProfile(0).trusted;
  if (maps) for (const [, name] of KEY_MAPS) out[name] = maps[name] ?? {};
  return out;
}

/**
 * Records a request's context in a user's profile and returns the new profile (the input is not modified).
 *
 * - `trusted`: after an allow that `teaches`, or after a passed step-up. Counts towards the familiarity model,
 *   moves the keys out of `unverified`, and moves the impossible-travel origin when the location is known.
 * - `unverified`: anything else worth remembering (challenged, failed, abandoned). Kept apart and never read by
 *   the engine, so an attacker's attempts cannot make the attacker look familiar.
 */
export function learn(
  profile: UserProfile | undefined,
  features: RequestFeatures,
  now: number,
  how: 'trusted' | 'unverified',
): UserProfile {
  const base = profile ?? emptyProfile(now);
  const keys = contextKeys(features);
  const trusted = copyMaps(base.trusted);
  const unverified = copyMaps(base.unverified);
  for (const [field, name] of KEY_MAPS) {
    const key = keys[field];
    if (key === undefined) continue;
    if (how === 'trusted') {
      trusted[name] = bump(trusted[name], key, now, PROFILE_LIMITS.trusted[name]);
      if (Object.hasOwn(unverified[name], key)) unverified[name] = without(unverified[name], key);
    } else if (!Object.hasOwn(trusted[name], key)) {
      unverified[name] = bump(unverified[name], key, now, PROFILE_LIMITS.unverified[name]);
    }
  }
  const next: UserProfile = {
    schemaVersion: 1,
    createdAt: base.createdAt,
    trustedEvents: base.trustedEvents + (how === 'trusted' ? 1 : 0),
    trusted,
    unverified,
    ...(base.pseudonymous ? { pseudonymous: true } : {}),
  };
  let lastTrusted = base.lastTrusted;
  const { geo } = features;
  if (
    how === 'trusted' &&
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
