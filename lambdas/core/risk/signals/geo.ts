import type { Policy } from '../../policy/policy-schema';
import type { Geo, Reason, UserProfile } from '../types';
import type { SignalContext } from './context';
import { ATTACKER, evidenceReason, formatRatio, percent, ratioPoints } from './evidence';

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

/** How far and how fast the user would have travelled since their last recorded login, when both are located. */
export function travelFrom(
  last: UserProfile['lastTrusted'],
  geo: Geo,
  now: number,
): { km: number; kmh: number; elapsed: number } | undefined {
  if (last === undefined || !isNum(last.lat) || !isNum(last.lon) || !isNum(geo.lat) || !isNum(geo.lon))
    return undefined;
  const km = haversineKm(last.lat, last.lon, geo.lat, geo.lon);
  const elapsed = now - last.at;
  // No elapsed time (or a clock running backwards) makes any real distance impossible.
  const kmh = elapsed > 0 ? km / (elapsed / 3_600_000) : Infinity;
  return { km, kmh, elapsed };
}

/** True when the distance is beyond the noise floor and the speed beyond the policy's limit. */
export function isImpossibleTravel(t: { km: number; kmh: number } | undefined, rules: Policy['geo']): boolean {
  return t !== undefined && t.km >= rules.minDistanceKm && t.kmh > rules.impossibleTravelKmh;
}

const PLACE_LEVELS = [
  { code: 'geo.new_country', level: 'country', attacker: ATTACKER.newCountry },
  { code: 'geo.new_region', level: 'region', attacker: ATTACKER.newRegion },
  { code: 'geo.new_city', level: 'city', attacker: ATTACKER.newCity },
] as const;

/**
 * Unlocatable addresses are reported and stop here (novelty and travel would compare against nothing).
 *
 * Place novelty is judged against the user's own habits: one reason, named after the coarsest level the user never
 * proved (country, else region, else city), with the points of the strongest of the levels' likelihood ratios
 * (attacker share) / ν, where ν is how often this user brings a new place at that level (a traveller or a phone on
 * a carrier that geolocates all over the country often does); a new country weighs with `evidence.country`, a new
 * region or city with `evidence.place`. Region and city keys include their country, so a new country is also a
 * new region and city and never weighs less than either: "a new country never lowers the score" holds for any
 * weights.
 *
 * Impossible travel (from the last recorded login, faster than the policy allows, beyond its distance floor) is
 * weighed the same way: against how often this user's logins jump like that (mobile addresses that geolocate far
 * apart do; a home line does not).
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
  if (ctx.history === undefined) return out;
  const e = input.policy.weights.evidence;
  const seen = ctx.seen;
  const newAt = {
    country: seen.country === undefined,
    region: seen.region === undefined,
    city: seen.city === undefined,
  };
  if (keys.region === undefined) newAt.region = newAt.country;
  if (keys.city === undefined) newAt.city = newAt.region;
  let code = '';
  let best = 0;
  let bestNu = 0;
  let detailRatio = 0;
  for (const p of PLACE_LEVELS) {
    if (!newAt[p.level]) continue;
    if (code === '') code = p.code;
    const nu = ctx.habits.novelty(p.level);
    const ratio = p.attacker / nu;
    const points = ratioPoints(ratio, p.level === 'country' ? e.country : e.place, e);
    if (points > best) {
      best = points;
      bestNu = nu;
      detailRatio = ratio;
    }
  }
  if (code !== '' && best > 0) {
    const where =
      code === 'geo.new_country'
        ? g.country
        : code === 'geo.new_region'
          ? `${g.region}, ${g.country}`
          : `${g.city}, ${g.country}`;
    out.push({
      code,
      points: best,
      detail:
        `first time from ${where}; this user brings such a new place in ${percent(bestNu)} of logins ` +
        `(likelihood ratio ${formatRatio(detailRatio)})`,
    });
  }
  const travel = travelFrom(input.profile?.lastTrusted, g, input.now);
  if (isImpossibleTravel(travel, input.policy.geo) && travel) {
    const speed = Number.isFinite(travel.kmh) ? `${formatThousands(travel.kmh)} km/h` : 'no time elapsed';
    const nu = ctx.habits.novelty('travel');
    evidenceReason(
      out,
      'geo.impossible_travel',
      ATTACKER.impossibleTravel / nu,
      e.travel,
      e,
      `${formatThousands(travel.km)} km in ${formatDuration(Math.max(0, travel.elapsed))} (${speed}); such jumps in ${percent(nu)} of this user's logins`,
    );
  }
  return out;
}
