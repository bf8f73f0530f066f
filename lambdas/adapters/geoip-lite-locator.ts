import geoip from 'geoip-lite';
import { classifyIp, ipPrefix, parseIp } from '../core/net/ip';
import type { Geo } from '../core/risk/types';
import type { GeoLocator } from '../ports/geo-locator';

/**
 * geoip-lite behind the geo port. geoip-lite loads ~110 MB of data at import, so this module is only imported by
 * the functions that score requests. It knows no ASN; the engine falls back to the address prefix for that level.
 * Private and reserved addresses are classified before the lookup so they never get a bogus location.
 */
export class GeoipLiteLocator implements GeoLocator {
  locate(ip: string): Geo {
    const addr = parseIp(ip);
    if (!addr) return { kind: 'unknown' };
    const prefix = ipPrefix(addr);
    const kind = classifyIp(addr).kind;
    if (kind !== 'public') return { kind, prefix };
    const hit = geoip.lookup(ip);
    if (!hit) return { kind: 'unknown', prefix };
    const [lat, lon] = hit.ll ?? [];
    return {
      kind: 'public',
      prefix,
      ...(hit.country ? { country: hit.country } : {}),
      // Bare names: the engine qualifies them with their parents (contextKeys) so "Springfield" is not one place.
      ...(hit.region ? { region: hit.region } : {}),
      ...(hit.city ? { city: hit.city } : {}),
      // Without a city the coordinates are a country-level guess (e.g. the middle of the US): useless for travel math.
      ...(lat !== undefined && lon !== undefined && hit.city ? { lat, lon } : {}),
    };
  }
}
