import type { ContextKeys } from './context-keys';
import type { ProfileMaps, Sighting, SightingMap, UserProfile } from './types';

const DAY = 86_400_000;

export function emptyMaps(): ProfileMaps {
  return {
    devices: {},
    ips: {},
    prefixes: {},
    asns: {},
    countries: {},
    regions: {},
    cities: {},
    uas: {},
    browsers: {},
    oses: {},
    deviceTypes: {},
  };
}

export function emptyProfile(now: number): UserProfile {
  return {
    schemaVersion: 2,
    createdAt: now,
    trustedEvents: 0,
    trusted: emptyMaps(),
    unverified: emptyMaps(),
    pending: emptyMaps(),
  };
}

// Profiles come back from the store as plain JSON: look keys up as own properties only, so a key such as
// "constructor" or "__proto__" is never mistaken for a sighting. Missing maps (older documents) read as empty.
export function sighting(map: SightingMap | undefined, key: string | undefined): Sighting | undefined {
  if (map === undefined || key === undefined || !Object.hasOwn(map, key)) return undefined;
  return map[key];
}

export function isEmptyMap(map: SightingMap | undefined): boolean {
  if (map === undefined) return true;
  for (const key in map) if (Object.hasOwn(map, key)) return false;
  return true;
}

export function mapSize(map: SightingMap | undefined): number {
  return map === undefined ? 0 : Object.keys(map).length;
}

/** A request's context as one profile knew it: the sighting of each of its keys, undefined where never seen. */
export interface ContextSightings {
  device: Sighting | undefined;
  ip: Sighting | undefined;
  prefix: Sighting | undefined;
  asn: Sighting | undefined;
  country: Sighting | undefined;
  region: Sighting | undefined;
  city: Sighting | undefined;
  ua: Sighting | undefined;
  browser: Sighting | undefined;
  os: Sighting | undefined;
  deviceType: Sighting | undefined;
}

/** A trusted sighting still counts until it has gone unused for `trustDays` (trust fades). */
export function isFresh(s: Sighting | undefined, now: number, trustDays: number): s is Sighting {
  return s !== undefined && now - s.lastSeen <= trustDays * DAY;
}

function fresh(map: SightingMap | undefined, key: string | undefined, now: number, trustDays: number) {
  const s = sighting(map, key);
  return isFresh(s, now, trustDays) ? s : undefined;
}

/**
 * Looks every key up once, in the trusted maps, keeping only sightings whose trust has not faded. Several signals
 * ask about the same key, and a lookup in a profile parsed from JSON is the most frequent operation of a decision.
 * Without `now` nothing fades (callers that only ask what was ever stored).
 */
export function sightingsOf(
  maps: ProfileMaps | undefined,
  keys: ContextKeys,
  now = 0,
  trustDays = Infinity,
): ContextSightings {
  return {
    device: fresh(maps?.devices, keys.device, now, trustDays),
    ip: fresh(maps?.ips, keys.ip, now, trustDays),
    prefix: fresh(maps?.prefixes, keys.prefix, now, trustDays),
    asn: fresh(maps?.asns, keys.asn, now, trustDays),
    country: fresh(maps?.countries, keys.country, now, trustDays),
    region: fresh(maps?.regions, keys.region, now, trustDays),
    city: fresh(maps?.cities, keys.city, now, trustDays),
    ua: fresh(maps?.uas, keys.ua, now, trustDays),
    browser: fresh(maps?.browsers, keys.browser, now, trustDays),
    os: fresh(maps?.oses, keys.os, now, trustDays),
    deviceType: fresh(maps?.deviceTypes, keys.deviceType, now, trustDays),
  };
}

/** The keys' known sightings (trusted and fresh, else credited pending; see `knownSighting`). */
export function knownSightingsOf(
  profile: UserProfile | undefined,
  keys: ContextKeys,
  now: number,
  trustDays: number,
): ContextSightings {
  const seen = sightingsOf(profile?.trusted, keys, now, trustDays);
  const pending = profile?.pending;
  if (pending === undefined) return seen;
  const credit = (s: Sighting | undefined, map: SightingMap | undefined, key: string | undefined) => {
    if (s !== undefined) return s;
    const p = sighting(map, key);
    return isCredited(p, now) ? p : undefined;
  };
  return {
    device: credit(seen.device, pending.devices, keys.device),
    ip: credit(seen.ip, pending.ips, keys.ip),
    prefix: credit(seen.prefix, pending.prefixes, keys.prefix),
    asn: credit(seen.asn, pending.asns, keys.asn),
    country: credit(seen.country, pending.countries, keys.country),
    region: credit(seen.region, pending.regions, keys.region),
    city: credit(seen.city, pending.cities, keys.city),
    ua: credit(seen.ua, pending.uas, keys.ua),
    browser: credit(seen.browser, pending.browsers, keys.browser),
    os: credit(seen.os, pending.oses, keys.os),
    deviceType: credit(seen.deviceType, pending.deviceTypes, keys.deviceType),
  };
}

/**
 * A pending value that already counts as known when scoring: first seen on an earlier UTC day, and not tainted
 * (first seen right after failed attempts, or a failed attempt came from it since). It becomes trusted when this
 * login is recorded; scoring it as familiar already spares the owner's second day at a new place (a new home
 * address, a new office) the friction of a brand-new one, while an attacker's retry the same day gets no credit.
 */
export function isCredited(s: Sighting | undefined, now: number): s is Sighting {
  if (s === undefined || s.tainted === true) return false;
  const first = s.firstSeen ?? s.lastSeen;
  return Math.floor(first / DAY) < Math.floor(now / DAY);
}

/** The trusted (fresh) sighting of `key` in map `name`, else a credited pending one (see `isCredited`). */
export function knownSighting(
  profile: UserProfile | undefined,
  name: keyof ProfileMaps,
  key: string | undefined,
  now: number,
  trustDays: number,
): Sighting | undefined {
  const t = sighting(profile?.trusted?.[name], key);
  if (isFresh(t, now, trustDays)) return t;
  const p = sighting(profile?.pending?.[name], key);
  return isCredited(p, now) ? p : undefined;
}

/** True when some trusted value of the map is still fresh. */
export function anyFresh(map: SightingMap | undefined, now: number, trustDays: number): boolean {
  if (map === undefined) return false;
  for (const key in map) if (Object.hasOwn(map, key) && isFresh(map[key], now, trustDays)) return true;
  return false;
}

/** How often a sighting was counted; 0 for none (and for a corrupt, non-positive count). */
export function countOfSighting(s: Sighting | undefined): number {
  return s === undefined || !(s.count > 0) ? 0 : s.count;
}
