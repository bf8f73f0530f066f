import type { Habits, ProfileMaps, Sighting, SightingMap, UserProfile } from '../../lambdas/core/risk/types';

/**
 * A compact text form of `UserProfile` for profiles kept idle in memory during an offline replay: the maps as flat
 * arrays without the repeated field names, times in base 36. About half the size of the JSON and a seventh of the
 * live object, and plain strings (compression was tried: zlib's per-call native state and output buffers cost more
 * memory than they saved). Decoding gives back an equal profile.
 */

const MAPS: readonly (keyof ProfileMaps)[] = [
  'devices',
  'ips',
  'prefixes',
  'asns',
  'countries',
  'regions',
  'cities',
  'uas',
  'browsers',
  'oses',
  'deviceTypes',
];

type Extras = Partial<Pick<Sighting, 'firstSeen' | 'days' | 'tainted' | 'fresh'>>;
type Flat = (string | number | Extras)[];
type Packed = [number, number, unknown, Flat[], Flat[], Flat[] | 0, Habits | 0, number, number, 1 | 2];

function packMaps(maps: ProfileMaps): Flat[] {
  return MAPS.map((name) => {
    const flat: Flat = [];
    const map = maps[name] ?? {};
    for (const key of Object.keys(map)) {
      const s = map[key];
      if (!s) continue;
      flat.push(key, s.count, s.lastSeen.toString(36));
      // Optional fields ride in one object after the entry, only when the entry has any.
      const { count: _c, lastSeen: _l, ...extras } = s;
      if (Object.keys(extras).length > 0) flat.push(extras);
    }
    return flat;
  });
}

function unpackMaps(packed: Flat[]): ProfileMaps {
  const maps = {} as ProfileMaps;
  MAPS.forEach((name, i) => {
    const map: SightingMap = {};
    const flat = packed[i] ?? [];
    let k = 0;
    while (k + 2 < flat.length) {
      const text = (x: unknown) => (typeof x === 'string' ? x : String(x));
      const value: Sighting = { count: Number(flat[k + 1]), lastSeen: parseInt(text(flat[k + 2]), 36) };
      const key = text(flat[k]);
      k += 3;
      const next = flat[k];
      if (next !== undefined && typeof next === 'object') {
        Object.assign(value, next);
        k++;
      }
      // defineProperty: a key such as "__proto__" must stay an own key, as learn() stores it.
      Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
    }
    maps[name] = map;
  });
  return maps;
}

export function encodeProfile(profile: UserProfile): string {
  const packed: Packed = [
    profile.createdAt,
    profile.trustedEvents,
    profile.lastTrusted ?? 0,
    packMaps(profile.trusted),
    packMaps(profile.unverified),
    profile.pending ? packMaps(profile.pending) : 0,
    profile.habits ?? 0,
    profile.lastSeen ?? -1,
    profile.lastFailure ?? -1,
    profile.schemaVersion,
  ];
  return JSON.stringify(packed);
}

export function decodeProfile(text: string): UserProfile {
  const [createdAt, trustedEvents, lastTrusted, trusted, unverified, pending, habits, lastSeen, lastFailure, version] =
    JSON.parse(text) as Packed;
  const profile: UserProfile = {
    schemaVersion: version,
    createdAt,
    trustedEvents,
    trusted: unpackMaps(trusted),
    unverified: unpackMaps(unverified),
  };
  if (pending) profile.pending = unpackMaps(pending);
  if (habits) profile.habits = habits;
  if (lastSeen !== -1) profile.lastSeen = lastSeen;
  if (lastFailure !== -1) profile.lastFailure = lastFailure;
  if (lastTrusted) profile.lastTrusted = lastTrusted as NonNullable<UserProfile['lastTrusted']>;
  return profile;
}
