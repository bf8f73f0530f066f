import { formatIp, ipPrefix, parseIp, type IpAddress } from '../net/ip';
import type { Device, Geo, ProfileMaps, RequestFeatures } from './types';

/**
 * The identifiers of a request's context, as stored in `UserProfile` maps and looked up in the global population
 * counts. Region and city keys include their parents ("NO/Vestland/Bergen") because region and city names repeat
 * across countries; the IP is canonical so `::ffff:1.2.3.4`, `1.2.3.4` and differently compressed IPv6 agree.
 */
export interface ContextKeys {
  device?: string;
  ip: string;
  prefix?: string;
  asn?: string;
  country?: string;
  region?: string;
  city?: string;
  ua: string;
  browser?: string;
  os?: string;
  deviceType: string;
}

/** Which profile map each key lives in. */
export const KEY_MAPS: readonly (readonly [keyof ContextKeys, keyof ProfileMaps])[] = [
  ['device', 'devices'],
  ['ip', 'ips'],
  ['prefix', 'prefixes'],
  ['asn', 'asns'],
  ['country', 'countries'],
  ['region', 'regions'],
  ['city', 'cities'],
  ['ua', 'uas'],
  ['browser', 'browsers'],
  ['os', 'oses'],
  ['deviceType', 'deviceTypes'],
];

/** Longer keys are shortened to a prefix plus a hash, so a hostile UA string cannot bloat the stored profile. */
export const MAX_KEY_LENGTH = 64;

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function boundKey(s: string): string {
  return s.length <= MAX_KEY_LENGTH ? s : `${s.slice(0, MAX_KEY_LENGTH - 9)}~${fnv1a(s)}`;
}

function opt(s: string | undefined): string | undefined {
  return s === undefined || s.length === 0 ? undefined : boundKey(s);
}

type DeviceKeys = Pick<ContextKeys, 'ua' | 'browser' | 'os' | 'deviceType'>;
type GeoKeys = Pick<ContextKeys, 'prefix' | 'asn' | 'country' | 'region' | 'city'>;

// The device and geo adapters hand out one cached object per user agent and per address, so keys derived from
// such an object are built once and then reused. Reuse is what makes a warm decision cheap: a profile-map lookup
// with a string V8 has seen as a key before skips hashing and flattening a freshly concatenated one (measured:
// ~36 ns against ~90 ns per lookup, bench/README.md). Weak keys: entries die with the adapter's cache entries.
// Device and Geo objects are treated as immutable once they have been scored.
const deviceKeysCache = new WeakMap<Device, DeviceKeys>();
const geoKeysCache = new WeakMap<Geo, GeoKeys>();

function deviceKeys(device: Device): DeviceKeys {
  let keys = deviceKeysCache.get(device);
  if (keys === undefined) {
    const deviceType = boundKey(device.deviceType || 'desktop');
    const browser =
      device.uaFamily === undefined || device.uaFamily.length === 0
        ? undefined
        : boundKey(device.browserMajor ? `${device.uaFamily} ${device.browserMajor}` : device.uaFamily);
    const os = opt(device.os);
    keys = {
      // Without a UA key from the adapter the parsed parts are the finest level we have.
      ua: boundKey(device.uaKey || `${browser ?? '?'}|${device.os ?? '?'}|${deviceType}`),
      browser,
      os,
      deviceType,
    };
    deviceKeysCache.set(device, keys);
  }
  return keys;
}

function geoKeys(geo: Geo): GeoKeys {
  let keys = geoKeysCache.get(geo);
  if (keys === undefined) {
    const country = opt(geo.country);
    keys = {
      prefix: opt(geo.prefix),
      asn: opt(geo.asn),
      country,
      region: country && geo.region ? boundKey(`${country}/${geo.region}`) : undefined,
      city: country && geo.city ? boundKey(`${country}/${geo.region ?? ''}/${geo.city}`) : undefined,
    };
    geoKeysCache.set(geo, keys);
  }
  return keys;
}

/** `parsed` lets the engine reuse the address it already parsed. */
export function contextKeysFor(features: RequestFeatures, parsed: IpAddress | undefined): ContextKeys {
  const g = geoKeys(features.geo);
  const d = deviceKeys(features.device);
  return {
    device: opt(features.deviceId),
    // A parsed IPv4 address written without a mapping prefix is already canonical (leading zeros do not parse).
    ip: parsed
      ? parsed.version === 4 && parsed.v4Mapped !== true
        ? features.ip
        : formatIp(parsed)
      : boundKey(features.ip),
    prefix: g.prefix ?? (parsed ? ipPrefix(parsed) : undefined),
    asn: g.asn,
    country: g.country,
    region: g.region,
    city: g.city,
    ua: d.ua,
    browser: d.browser,
    os: d.os,
    deviceType: d.deviceType,
  };
}

/** Keys of a request's context: what the profile stores and what the store looks up for `GlobalStats`. */
export function contextKeys(features: RequestFeatures): ContextKeys {
  return contextKeysFor(features, parseIp(features.ip));
}
