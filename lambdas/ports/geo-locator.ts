import type { Geo } from '../core/risk/types';

/** Places an IP address (v4 or v6) on the map. Never throws: an unknown address is `{ kind: 'unknown' }`. */
export interface GeoLocator {
  locate(ip: string): Geo;
}
