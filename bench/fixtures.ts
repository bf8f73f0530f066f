import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { learn } from '../lambdas/core/risk/learning';
import type { GlobalStats, RequestFeatures, UserProfile, VelocityCounts } from '../lambdas/core/risk/types';
import { parseUncached } from '../lambdas/adapters/ua-parser-device-parser';
import type { GeoLocator } from '../lambdas/ports/geo-locator';
import type { DeviceParser } from '../lambdas/ports/device-parser';
import type { Rng } from './stats';

/**
 * Realistic, reproducible traffic for every section: real user agents (ua-parser-js 1.0.x fixtures), addresses that
 * geoip-lite places in a city in one of ~20 countries (plus some IPv6 and private ones), and users whose trusted
 * profiles were built by the engine's own `learn` from weeks of history, so profile items have the size and shape
 * that production reads and writes.
 */

// The ua-parser-js corpus shipped in the repository's data/ (see data/SOURCES.md).
export const UA_FIXTURES =
  process.env.BENCH_UA_FIXTURES ?? resolve(__dirname, '../data/ua-parser-js-1.0.x/browser-test.json');

/** Used when the fixtures are not on this machine: a handful of current, real user agents. */
const FALLBACK_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
];

/** Automation that reaches a login API in practice; scored with its own device signals. */
const AUTOMATION_UAS = [
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Go-http-client/2.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
];

export interface UserAgentSet {
  /** Every fixture UA: the long tail that makes uncached parsing realistic. */
  readonly all: readonly string[];
  /** Browsers people sign in with (a named browser on a named OS): what user devices are drawn from. */
  readonly mainstream: readonly string[];
  readonly automation: readonly string[];
  readonly source: string;
}

export function loadUserAgents(): UserAgentSet {
  let raw: string[] = [];
  let source = relative(resolve(__dirname, '..'), UA_FIXTURES);
  if (existsSync(UA_FIXTURES)) {
    const cases = JSON.parse(readFileSync(UA_FIXTURES, 'utf8')) as { ua?: unknown }[];
    raw = cases.map((c) => c.ua).filter((ua): ua is string => typeof ua === 'string' && ua.length > 0);
  }
  if (raw.length < 20) {
    raw = FALLBACK_UAS;
    source = 'built-in fallback list (fixtures not found)';
  }
  // Sorted and de-duplicated: the pool must not depend on the fixture file's order.
  const all = [...new Set(raw)].sort();
  const mainstream = all.filter((ua) => {
    const d = parseUncached(ua);
    return !d.isBot && !d.isCli && !d.isHeadless && d.uaFamily !== undefined && d.os !== undefined && ua.length < 300;
  });
  return { all, mainstream: mainstream.length >= 10 ? mainstream : all, automation: AUTOMATION_UAS, source };
}

export interface IpPool {
  /** Country code → addresses geoip-lite places in a city of that country. */
  readonly byCountry: ReadonlyMap<string, readonly string[]>;
  readonly countries: readonly string[];
  readonly v6: readonly string[];
  readonly privateIps: readonly string[];
}

function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function hex16(rng: Rng): string {
  return rng.int(0x10000).toString(16);
}

/**
 * Finds real public addresses by asking the locator about random ones (deterministic seed): every address then
 * resolves to a city, like most residential and mobile traffic does, and countries come out in proportion to
 * their address space in geoip-lite's data.
 */
export function buildIpPool(rng: Rng, locator: GeoLocator, countriesWanted = 20): IpPool {
  const byCountry = new Map<string, string[]>();
  for (let i = 0; i < 60_000; i++) {
    const n = rng.int(0x1_0000_0000) >>> 0;
    const ip = ipv4(n);
    const geo = locator.locate(ip);
    if (geo.kind !== 'public' || !geo.country || !geo.city || geo.lat === undefined) continue;
    const list = byCountry.get(geo.country) ?? [];
    if (list.length < 400) list.push(ip);
    byCountry.set(geo.country, list);
  }
  const countries = [...byCountry.entries()]
    .filter(([, ips]) => ips.length >= 20)
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, countriesWanted)
    .map(([c]) => c);
  const v6: string[] = [];
  // geoip-lite's IPv6 data is partial: probe the RIPE, ARIN and APNIC blocks and keep what it places.
  const v6Blocks = [0x2a00, 0x2a01, 0x2a02, 0x2600, 0x2601, 0x2602, 0x2400, 0x2401, 0x2405];
  for (let i = 0; i < 20_000 && v6.length < 200; i++) {
    const block = rng.pick(v6Blocks).toString(16);
    const ip = `${block}:${hex16(rng)}:${hex16(rng)}:${hex16(rng)}::${hex16(rng)}`;
    const geo = locator.locate(ip);
    if (geo.kind === 'public' && geo.country) v6.push(ip);
  }
  const privateIps = Array.from({ length: 50 }, () => `10.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`);
  return { byCountry, countries, v6, privateIps };
}

export interface BenchDevice {
  readonly deviceId: string;
  readonly ua: string;
}

export interface BenchUser {
  readonly userId: string;
  readonly homeCountry: string;
  readonly homeIps: readonly string[];
  readonly devices: readonly BenchDevice[];
  /** Absent for a brand-new user (the new-user rule applies). */
  readonly profile?: UserProfile;
}

export interface Population {
  readonly users: readonly BenchUser[];
  readonly uas: UserAgentSet;
  readonly ips: IpPool;
  /** Mean JSON size of the stored profiles: what a decision reads and, when it teaches, writes back. */
  readonly profileBytesMean: number;
  readonly profileBytesMax: number;
}

const DAY = 86_400_000;

function countryIp(rng: Rng, pool: IpPool, country: string): string {
  return rng.pick(pool.byCountry.get(country) ?? pool.byCountry.get(pool.countries[0] ?? '') ?? ['8.8.8.8']);
}

/**
 * Users with one to three devices and one or two home addresses, whose profile learned 3 to 120 trusted sessions
 * over the past 90 days (mostly at home, some on the phone's carrier address, some while travelling). 5 % are new.
 */
export function buildPopulation(
  rng: Rng,
  count: number,
  deps: { locator: GeoLocator; parser: DeviceParser; uas: UserAgentSet; ips: IpPool },
  now: number,
): Population {
  const { locator, parser, uas, ips } = deps;
  const featuresOf = (ip: string, device: BenchDevice): RequestFeatures => ({
    ip,
    deviceId: device.deviceId,
    geo: locator.locate(ip),
    device: parser.parse(device.ua),
  });
  const users: BenchUser[] = [];
  let bytes = 0;
  let max = 0;
  let withProfile = 0;
  for (let u = 0; u < count; u++) {
    // Countries weighted towards the first ones (largest address space), like a real user base.
    const homeCountry = ips.countries[Math.floor(ips.countries.length * rng.next() ** 2)] ?? 'US';
    const homeIps = [rng.chance(0.08) && ips.v6.length > 0 ? rng.pick(ips.v6) : countryIp(rng, ips, homeCountry)];
    if (rng.chance(0.5)) homeIps.push(countryIp(rng, ips, homeCountry));
    const devices: BenchDevice[] = [];
    const deviceCount = 1 + rng.int(3);
    for (let d = 0; d < deviceCount; d++) devices.push({ deviceId: `dev-${u}-${d}`, ua: rng.pick(uas.mainstream) });
    const userId = `user-${String(u).padStart(5, '0')}@example.com`;
    if (rng.chance(0.05)) {
      users.push({ userId, homeCountry, homeIps, devices });
      continue;
    }
    const sessions = Math.round(3 * 40 ** rng.next());
    let profile: UserProfile | undefined;
    const start = now - 90 * DAY;
    for (let s = 0; s < sessions; s++) {
      const at = start + Math.round(((s + rng.next()) / sessions) * (89 * DAY));
      const device = rng.pick(devices);
      const roll = rng.next();
      const ip =
        roll < 0.85
          ? rng.pick(homeIps)
          : roll < 0.95
            ? countryIp(rng, ips, homeCountry)
            : countryIp(rng, ips, rng.pick(ips.countries));
      profile = learn(profile, featuresOf(ip, device), at, 'trusted');
    }
    if (profile) {
      const size = JSON.stringify(profile).length;
      bytes += size;
      max = Math.max(max, size);
      withProfile++;
    }
    users.push({ userId, homeCountry, homeIps, devices, ...(profile ? { profile } : {}) });
  }
  return { users, uas, ips, profileBytesMean: withProfile > 0 ? bytes / withProfile : 0, profileBytesMax: max };
}

export type RequestKind = 'familiar' | 'new_device' | 'travel' | 'automation' | 'private_network';

export interface DecisionBody {
  userId: string;
  action: string;
  sessionId?: string;
  context: { ip: string; userAgent?: string; deviceId?: string };
  stepUpId?: string;
  requestId?: string;
}

export interface BenchRequest {
  readonly user: BenchUser;
  readonly kind: RequestKind;
  readonly body: DecisionBody;
}

/** Sign-ins dominate; sensitive actions are the minority they are in a real app. */
const ACTIONS: readonly [string, number][] = [
  ['auth.sign_in', 0.5],
  ['profile.view', 0.15],
  ['profile.update', 0.1],
  ['payment.transfer', 0.15],
  ['data.export', 0.04],
  ['credentials.change', 0.04],
  ['mfa.change', 0.02],
];

function pickAction(rng: Rng): string {
  let r = rng.next();
  for (const [action, p] of ACTIONS) {
    if (r < p) return action;
    r -= p;
  }
  return 'auth.sign_in';
}

/**
 * One request of a user: 80 % from a known device at home, then new devices, travel, automation and private
 * (VPN/corporate) addresses. A third carry an idempotency key, as retrying app backends send them.
 */
export function requestFor(rng: Rng, user: BenchUser, pop: Population, serial: number): BenchRequest {
  const roll = rng.next();
  const device = rng.pick(user.devices);
  let kind: RequestKind = 'familiar';
  let ip = rng.pick(user.homeIps);
  let ua: string = device.ua;
  let deviceId: string | undefined = device.deviceId;
  if (roll >= 0.8 && roll < 0.89) {
    kind = 'new_device';
    ua = rng.pick(pop.uas.all);
    deviceId = `new-${serial}`;
  } else if (roll >= 0.89 && roll < 0.96) {
    kind = 'travel';
    ip = countryIp(rng, pop.ips, rng.pick(pop.ips.countries));
  } else if (roll >= 0.96 && roll < 0.98) {
    kind = 'automation';
    ua = rng.pick(pop.uas.automation);
    deviceId = undefined;
  } else if (roll >= 0.98) {
    kind = 'private_network';
    ip = rng.pick(pop.ips.privateIps);
  }
  const body: DecisionBody = {
    userId: user.userId,
    action: pickAction(rng),
    sessionId: `s-${serial}`,
    context: { ip, userAgent: ua, ...(deviceId ? { deviceId } : {}) },
    ...(rng.chance(1 / 3) ? { requestId: `r-${serial}-${Math.floor(rng.next() * 1e9)}` } : {}),
  };
  return { user, kind, body };
}

/** Velocity as the store returns it for ordinary traffic: a few requests, rarely near a threshold. */
export function sampleVelocity(rng: Rng): VelocityCounts {
  return {
    userRequests: rng.int(4),
    ipRequests: rng.int(8),
    ipDistinctUsers: 1 + rng.int(3),
    userFailedStepUps: rng.chance(0.05) ? 1 : 0,
    userFailedSignIns: rng.chance(0.05) ? 1 + rng.int(2) : 0,
  };
}

/** Population counts of a service with ~100k-1M trusted sign-ins: coarse levels are common, exact ones rare. */
export function sampleGlobal(rng: Rng): GlobalStats {
  const total = 100_000 + rng.int(900_000);
  const frac = (lo: number, hi: number) => Math.round(total * (lo + rng.next() * (hi - lo)));
  return {
    total,
    ip: rng.int(20),
    prefix: rng.int(400),
    asn: 0,
    country: frac(0.01, 0.3),
    ua: rng.int(3000),
    browser: frac(0.001, 0.05),
    os: frac(0.05, 0.4),
    deviceType: frac(0.3, 0.7),
  };
}
