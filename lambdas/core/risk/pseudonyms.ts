import type { ContextKeys } from './context-keys';
import type { ProfileMaps, Sighting, SightingMap, UserProfile } from './types';

/**
 * Identifiers under the policy's `privacy.hashIdentifiers`: what is a pseudonym, and how a stored profile moves
 * between raw and pseudonymous keys when the setting changes. The keyed hash itself lives behind the pseudonymizer
 * port; this module only receives its results, so the core stays free of keys.
 *
 * A pseudonym is computed from the very key a profile stores for an identifier when the setting is off (the
 * canonical address, the /24 or /48 prefix text, the bounded device id, the user agent's key), so a profile written
 * with raw keys converts exactly, and familiarity carries over when the setting is switched on.
 */

/** Kinds of identifier. Each is hashed under its own key: an IP's pseudonym can never equal a device's. */
export type IdentifierKind = 'ip' | 'network' | 'device' | 'user-agent';

/** Readable tag of each kind in a pseudonym: `h.<tag>.<22 base64url characters>`. */
export const PSEUDONYM_TAGS: Readonly<Record<IdentifierKind, string>> = {
  ip: 'ip',
  network: 'net',
  device: 'dev',
  'user-agent': 'ua',
};

const PSEUDONYM = /^h\.(?:ip|net|dev|ua)\.[\w-]{22}$/;

export function isPseudonym(key: string): boolean {
  return key.startsWith('h.') && PSEUDONYM.test(key);
}

export type PseudonymOf = (kind: IdentifierKind, key: string) => string;

/** The profile maps whose keys are identifiers (the others hold coarse attributes: places, AS numbers, browsers). */
export const IDENTIFIER_MAPS: readonly (readonly [keyof ProfileMaps, keyof ContextKeys, IdentifierKind])[] = [
  ['devices', 'device', 'device'],
  ['ips', 'ip', 'ip'],
  ['prefixes', 'prefix', 'network'],
  ['uas', 'ua', 'user-agent'],
];

// Without a UA key from the device adapter the finest UA level is built from parsed parts ("Chrome 124|Windows|
// desktop"): coarse attributes, not an identifier. A UA key is base64url and never contains "|".
function isIdentifierKey(map: keyof ProfileMaps, key: string): boolean {
  return !(map === 'uas' && key.includes('|'));
}

function put(map: SightingMap, key: string, sighting: Sighting): void {
  const prev = Object.hasOwn(map, key) ? map[key] : undefined;
  const value: Sighting = prev ? merged(prev, sighting) : { ...sighting };
  // defineProperty: a raw device id such as "__proto__" must stay an ordinary entry.
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Two sightings of one context under its two keys, as one: uses add up, the earliest first sighting and the most
 * days count, and a taint on either stays (a pending context first seen after failures must not be cleared by the
 * conversion).
 */
function merged(a: Sighting, b: Sighting): Sighting {
  const out: Sighting = { count: a.count + b.count, lastSeen: Math.max(a.lastSeen, b.lastSeen) };
  if (a.firstSeen !== undefined || b.firstSeen !== undefined) {
    out.firstSeen = Math.min(a.firstSeen ?? Infinity, b.firstSeen ?? Infinity);
  }
  if (a.days !== undefined || b.days !== undefined) out.days = Math.max(a.days ?? 0, b.days ?? 0);
  if (a.fresh !== undefined || b.fresh !== undefined) out.fresh = (a.fresh ?? 0) + (b.fresh ?? 0);
  if (a.tainted === true || b.tainted === true) out.tainted = true;
  return out;
}

/** The map with keys renamed (merging sightings that meet), or undefined when no key changes (the usual case). */
function rekey(map: SightingMap | undefined, rename: (key: string) => string | undefined): SightingMap | undefined {
  if (map === undefined) return undefined;
  const keys = Object.keys(map);
  const renamed = keys.map((key) => rename(key) ?? key);
  if (renamed.every((next, i) => next === keys[i])) return undefined;
  const out: SightingMap = {};
  keys.forEach((key, i) => {
    const sighting = map[key];
    if (sighting !== undefined) put(out, renamed[i]!, sighting);
  });
  return out;
}

type RekeyedMaps = { trusted: ProfileMaps; unverified: ProfileMaps; pending?: ProfileMaps };

function rekeyProfile(
  profile: UserProfile,
  rename: (map: keyof ProfileMaps, key: string) => string | undefined,
): RekeyedMaps | undefined {
  let changed = false;
  const trusted = { ...profile.trusted };
  const unverified = { ...profile.unverified };
  const pending = profile.pending ? { ...profile.pending } : undefined;
  for (const [map] of IDENTIFIER_MAPS) {
    const t = rekey(profile.trusted?.[map], (key) => rename(map, key));
    const u = rekey(profile.unverified?.[map], (key) => rename(map, key));
    const p = pending ? rekey(pending[map], (key) => rename(map, key)) : undefined;
    if (t) trusted[map] = t;
    if (u) unverified[map] = u;
    if (p && pending) pending[map] = p;
    if (t || u || p) changed = true;
  }
  return changed ? { trusted, unverified, ...(pending ? { pending } : {}) } : undefined;
}

/** True when any identifier key of the profile is a pseudonym. */
export function hasPseudonyms(profile: UserProfile): boolean {
  for (const maps of [profile.trusted, profile.unverified, profile.pending]) {
    for (const [map] of IDENTIFIER_MAPS) {
      for (const key in maps?.[map]) if (isPseudonym(key)) return true;
    }
  }
  return false;
}

/**
 * With the setting on: every raw identifier key of the profile replaced by its pseudonym (sightings of a raw key
 * and of its pseudonym merge), and the profile marked. Undefined when it already is in that form.
 */
export function pseudonymizeProfile(profile: UserProfile, pseudonymOf: PseudonymOf): UserProfile | undefined {
  const kinds = new Map(IDENTIFIER_MAPS.map(([map, , kind]) => [map, kind]));
  const maps = rekeyProfile(profile, (map, key) => {
    const kind = kinds.get(map);
    return kind === undefined || isPseudonym(key) || !isIdentifierKey(map, key) ? undefined : pseudonymOf(kind, key);
  });
  if (maps === undefined && profile.pseudonymous === true) return undefined;
  return { ...profile, ...maps, pseudonymous: true };
}

/**
 * With the setting off again. Pseudonyms cannot be reversed, but the request at hand knows both forms of its own
 * identifiers: each of its pseudonyms found in the profile gets its raw key back, so the contexts a user keeps using
 * stay familiar; pseudonyms of contexts not used again are left to age out (least recently seen entries are
 * evicted first). The mark is removed. Undefined when nothing changes.
 */
export function reidentifyProfile(
  profile: UserProfile,
  raw: Partial<ContextKeys>,
  pseudonymous: Partial<ContextKeys>,
): UserProfile | undefined {
  const back = new Map<string, string>();
  for (const [map, field] of IDENTIFIER_MAPS) {
    const from = pseudonymous[field];
    const to = raw[field];
    if (from !== undefined && to !== undefined && from !== to && isPseudonym(from)) back.set(`${map}\u0000${from}`, to);
  }
  const maps = back.size > 0 ? rekeyProfile(profile, (map, key) => back.get(`${map}\u0000${key}`)) : undefined;
  if (maps === undefined && profile.pseudonymous === undefined) return undefined;
  const { pseudonymous: _mark, ...rest } = profile;
  return { ...rest, ...maps };
}
