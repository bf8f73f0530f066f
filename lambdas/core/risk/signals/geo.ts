import { isEmptyMap } from '../profile';
import type { Reason } from '../types';
import { reason, type SignalContext } from './context';

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine; mean Earth radius). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** 35172 → "35,172", locale-independent so details are identical on every machine. */
export function formatThousands(n: number): string {
  const s = String(Math.round(n));
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return neg ? `-${out}` : out;
}

export function formatDuration(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (min < 120) return `${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `${Math.round(h)} h`;
  return `${formatThousands(h / 24)} days`;
}

const isNum = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * Unlocatable addresses are reported and stop here (novelty and travel would compare against nothing).
 * Country, region and city novelty are cumulative: region and city keys include their country, so a new country
 * is also a new region and city, which keeps "a new country never lowers the score" true for any weights.
 */
export function geoSignals(ctx: SignalContext): Reason[] {
  const { input, keys } = ctx;
  const g = input.features.geo;
  const w = input.policy.weights.geo;
  if (g.kind === 'private' || g.kind === 'loopback' || g.kind === 'reserved') {
    return [{ code: 'geo.private_ip', points: w.privateIp, detail: `${g.kind} address, cannot be located` }];
  }
  if (g.kind === 'unknown' || keys.country === undefined) {
    return [
      { code: 'geo.unknown_location', points: w.unknownLocation, detail: 'public address with no known location' },
    ];
  }
  const out: Reason[] = [];
  const h = ctx.history;
  if (h !== undefined) {
    const seen = ctx.seen;
    if (seen.country === undefined) out.push(reason('geo.new_country', w.newCountry, `first time from ${g.country}`));
    if (keys.region !== undefined && seen.region === undefined) {
      out.push(reason('geo.new_region', w.newRegion, `first time from ${g.region}, ${g.country}`));
    }
    if (keys.city !== undefined && seen.city === undefined) {
      out.push(reason('geo.new_city', w.newCity, `first time from ${g.city}, ${g.country}`));
    }
    // The network is the part of a login's origin an attacker cannot copy: a stolen password and a spoofed user
    // agent still arrive from someone else's provider. Only with a known ASN and a history that has ASNs: the
    // address prefix is no substitute (dynamic addresses move between prefixes of one provider all the time).
    if (w.newNetwork && keys.asn !== undefined && seen.asn === undefined && !isEmptyMap(h.trusted.asns)) {
      out.push(reason('geo.new_network', w.newNetwork, `first time from network AS${keys.asn}`));
    }
  }
  const last = input.profile?.lastTrusted;
  if (last !== undefined && isNum(last.lat) && isNum(last.lon) && isNum(g.lat) && isNum(g.lon)) {
    const km = haversineKm(last.lat, last.lon, g.lat, g.lon);
    if (km >= input.policy.geo.minDistanceKm) {
      const elapsed = input.now - last.at;
      // No elapsed time (or a clock running backwards) makes any real distance impossible.
      const kmh = elapsed > 0 ? km / (elapsed / 3_600_000) : Infinity;
      if (kmh > input.policy.geo.impossibleTravelKmh) {
        const speed = Number.isFinite(kmh) ? `${formatThousands(kmh)} km/h` : 'no time elapsed';
        out.push(
          reason(
            'geo.impossible_travel',
            w.impossibleTravel,
            `${formatThousands(km)} km in ${formatDuration(Math.max(0, elapsed))} (${speed})`,
          ),
        );
      }
    }
  }
  return out;
}
