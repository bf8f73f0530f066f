import type { ContextKeys } from './context-keys';
import type { ProfileMaps, Sighting, SightingMap, UserProfile } from './types';

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
  return { schemaVersion: 1, createdAt: now, trustedEvents: 0, trusted: emptyMaps(), unverified: emptyMaps() };
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

/**
 * Looks every key up once. Several signals ask about the same key (the country for novelty and for familiarity),
 * and a lookup in a profile parsed from JSON is the most frequent operation of a decision.
 */
export function sightingsOf(maps: ProfileMaps | undefined, keys: ContextKeys): ContextSightings {
  return {
    device: sighting(maps?.devices, keys.device),
    ip: sighting(maps?.ips, keys.ip),
    prefix: sighting(maps?.prefixes, keys.prefix),
    asn: sighting(maps?.asns, keys.asn),
    country: sighting(maps?.countries, keys.country),
    region: sighting(maps?.regions, keys.region),
    city: sighting(maps?.cities, keys.city),
    ua: sighting(maps?.uas, keys.ua),
    browser: sighting(maps?.browsers, keys.browser),
    os: sighting(maps?.oses, keys.os),
    deviceType: sighting(maps?.deviceTypes, keys.deviceType),
  };
}

/** How often a sighting was counted; 0 for none (and for a corrupt, non-positive count). */
export function countOfSighting(s: Sighting | undefined): number {
  return s === undefined || !(s.count > 0) ? 0 : s.count;
}
