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

export function countOf(map: SightingMap | undefined, key: string | undefined): number {
  const s = sighting(map, key);
  return s === undefined || !(s.count > 0) ? 0 : s.count;
}

export function isEmptyMap(map: SightingMap | undefined): boolean {
  if (map === undefined) return true;
  for (const key in map) if (Object.hasOwn(map, key)) return false;
  return true;
}

export function mapSize(map: SightingMap | undefined): number {
  return map === undefined ? 0 : Object.keys(map).length;
}
