import { formatIp, ipPrefix, parseIp, type IpAddress } from '../net/ip';
import type { ProfileMaps, RequestFeatures } from './types';

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

/** `parsed` lets the engine reuse the address it already parsed. */
export function contextKeysFor(features: RequestFeatures, parsed: IpAddress | undefined): ContextKeys {
  const { geo, device } = features;
  const country = opt(geo.country);
  const deviceType = boundKey(device.deviceType || 'desktop');
  const browser =
    device.uaFamily === undefined || device.uaFamily.length === 0
      ? undefined
      : boundKey(device.browserMajor ? `${device.uaFamily} ${device.browserMajor}` : device.uaFamily);
  return {
    device: opt(features.deviceId),
    ip: parsed ? formatIp(parsed) : boundKey(features.ip),
    prefix: opt(geo.prefix) ?? (parsed ? ipPrefix(parsed) : undefined),
    asn: opt(geo.asn),
    country,
    region: country && geo.region ? boundKey(`${country}/${geo.region}`) : undefined,
    city: country && geo.city ? boundKey(`${country}/${geo.region ?? ''}/${geo.city}`) : undefined,
    // Without a UA key from the adapter the parsed parts are the finest level we have.
    ua: boundKey(device.uaKey || `${browser ?? '?'}|${device.os ?? '?'}|${deviceType}`),
    browser,
    os: opt(device.os),
    deviceType,
  };
}

/** Keys of a request's context: what the profile stores and what the store looks up for `GlobalStats`. */
export function contextKeys(features: RequestFeatures): ContextKeys {
  return contextKeysFor(features, parseIp(features.ip));
}
