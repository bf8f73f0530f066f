import geoip from 'geoip-lite';
import { classifyIp, ipPrefix, parseIp } from '../core/net/ip';
import type { Geo } from '../core/risk/types';
import type { GeoLocator } from '../ports/geo-locator';
import type { NetworkLocator } from '../ports/network-locator';

/**
 * geoip-lite behind the geo port. geoip-lite loads ~110 MB of data at import, so this module is only imported by
 * the functions that score requests. geoip-lite knows no AS numbers: given a network locator, the answer carries
 * the AS number of the address too (the network level of the familiarity model, and `geo.new_network`); without
 * one the engine falls back to the address prefix for that level. Private and reserved addresses are classified
 * before the lookups so they never get a bogus location or network.
 *
 * Results are cached, bounded: the data never changes while the process lives (nothing here reloads it), users
 * come back from the same few addresses, and a lookup costs several µs (binary search plus six buffer-to-string
 * decodes in geoip-lite) against well under 1 µs for a hit; the largest share of the scoring budget after the
 * engine itself (bench/README.md). Two generations rather than a strict LRU, as in the device parser: a hit in the
 * young map is one `Map.get`, an old entry used again is promoted, and when the young map reaches half the
 * capacity it becomes the old one and the previous old one is dropped. Cached values are frozen because every
 * caller shares them.
 */
export class GeoipLiteLocator implements GeoLocator {
  private young = new Map<string, Geo>();
  private old = new Map<string, Geo>();
  private readonly half: number;

  constructor(
    capacity = 10_000,
    private readonly network?: NetworkLocator,
  ) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
  }

  locate(ip: string): Geo {
    const hit = this.young.get(ip);
    if (hit) return hit;
    const aged = this.old.get(ip);
    if (aged) {
      this.old.delete(ip);
      this.remember(ip, aged);
      return aged;
    }
    const geo = Object.freeze(locateUncached(ip, this.network));
    // Garbage never enters the cache: a client sending random strings must not push real addresses out.
    if (geo.kind === 'unknown' && geo.prefix === undefined) return geo;
    this.remember(ip, geo);
    return geo;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private remember(ip: string, geo: Geo): void {
    this.young.set(ip, geo);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

/** One lookup without the cache (tests, and the benchmark's cold path). */
export function locateUncached(ip: string, network?: NetworkLocator): Geo {
  const addr = parseIp(ip);
  if (!addr) return { kind: 'unknown' };
  const prefix = ipPrefix(addr);
  const kind = classifyIp(addr).kind;
  if (kind !== 'public') return { kind, prefix };
  const asn = network?.lookup(ip)?.asn;
  const net = asn === undefined ? {} : { asn: String(asn) };
  const hit = geoip.lookup(ip);
  if (!hit) return { kind: 'unknown', prefix, ...net };
  const [lat, lon] = hit.ll ?? [];
  return {
    kind: 'public',
    prefix,
    ...net,
    ...(hit.country ? { country: hit.country } : {}),
    // Bare names: the engine qualifies them with their parents (contextKeys) so "Springfield" is not one place.
    ...(hit.region ? { region: hit.region } : {}),
    ...(hit.city ? { city: hit.city } : {}),
    // Without a city the coordinates are a country-level guess (e.g. the middle of the US): useless for travel math.
    ...(lat !== undefined && lon !== undefined && hit.city ? { lat, lon } : {}),
  };
}
