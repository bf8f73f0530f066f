import { ipPrefix, parseIp } from '../../lambdas/core/net/ip';
import type { Geo, RequestFeatures } from '../../lambdas/core/risk/types';
import type { DeviceParser } from '../../lambdas/ports/device-parser';
import type { GeoLocator } from '../../lambdas/ports/geo-locator';
import { countryCentroid } from './country-centroids';
import type { RbaLogin } from './rba-row';

// Case- and accent-insensitive ("Tromso" is "Tromsø"); one collator, as building one per call dominated the cost.
const NAMES = new Intl.Collator('en', { sensitivity: 'base' });

function sameName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && (a === b || NAMES.compare(a, b) === 0);
}

/**
 * Geo of a dataset row. The row's Country/Region/City/ASN columns win: in the RBA dataset they describe the original
 * login while the IP addresses were regenerated and geolocate elsewhere. Coordinates come from the IP only when the
 * locator agrees with the row on country and city (true for generated traffic); otherwise from the country's
 * centroid, so a country change can still count as travel. Rows without a Country column are located by IP, and
 * rows without an ASN take the one the locator's network lookup gives their IP, as live decisions do.
 */
export function rowGeo(row: RbaLogin, locator: GeoLocator): Geo {
  const addr = parseIp(row.ip);
  const prefix = addr ? ipPrefix(addr) : undefined;
  if (row.country === undefined) {
    const located = locator.locate(row.ip);
    return row.asn === undefined ? located : { ...located, asn: row.asn };
  }
  const geo: Geo = { kind: 'public', country: row.country };
  if (prefix !== undefined) geo.prefix = prefix;
  if (row.region !== undefined) geo.region = row.region;
  if (row.city !== undefined) geo.city = row.city;
  if (row.asn !== undefined) geo.asn = row.asn;
  else if (addr) {
    const asn = locator.locate(row.ip).asn;
    if (asn !== undefined) geo.asn = asn;
  }
  if (row.city !== undefined && addr) {
    const located = locator.locate(row.ip);
    if (
      sameName(located.country, row.country) &&
      sameName(located.city, row.city) &&
      located.lat !== undefined &&
      located.lon !== undefined
    ) {
      geo.lat = located.lat;
      geo.lon = located.lon;
      return geo;
    }
  }
  const centre = countryCentroid(row.country);
  if (centre) {
    geo.lat = centre[0];
    geo.lon = centre[1];
  }
  return geo;
}

/** What the engine sees of a dataset row: the request only, never its outcome columns. */
export function rowFeatures(row: RbaLogin, locator: GeoLocator, devices: DeviceParser): RequestFeatures {
  return { ip: row.ip, geo: rowGeo(row, locator), device: devices.parse(row.userAgent) };
}
