import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { buildSignalContext } from '../../../lambdas/core/risk/engine';
import { learn } from '../../../lambdas/core/risk/learning';
import { REASON_CODES } from '../../../lambdas/core/risk/reason-codes';
import { actionSignal, resolveActionLevel } from '../../../lambdas/core/risk/signals/action';
import type { Signal } from '../../../lambdas/core/risk/signals/context';
import { deviceSignals } from '../../../lambdas/core/risk/signals/device';
import { formatDuration, formatThousands, geoSignals, haversineKm } from '../../../lambdas/core/risk/signals/geo';
import { listSignals } from '../../../lambdas/core/risk/signals/lists';
import { newUserSignals } from '../../../lambdas/core/risk/signals/new-user';
import { velocitySignals } from '../../../lambdas/core/risk/signals/velocity';
import { networkSignals } from '../../../lambdas/core/risk/signals/network';
import { habitSignals } from '../../../lambdas/core/risk/signals/habits';
import { sequenceSignals } from '../../../lambdas/core/risk/signals/sequence';
import { ATTACKER, TYPO_BEFORE_SUCCESS } from '../../../lambdas/core/risk/signals/evidence';
import { HabitView } from '../../../lambdas/core/risk/habits';
import { emptyProfile } from '../../../lambdas/core/risk/profile';
import type { EvaluationInput, NoveltyLevel, Reason, UserProfile } from '../../../lambdas/core/risk/types';
import { UnknownActionError, StepgateError } from '../../../lambdas/core/errors';
import {
  DAY,
  HOUR,
  HOME,
  HOME_GEO,
  MIN,
  NOW,
  NY,
  TOKYO,
  TOKYO_GEO,
  ZERO_GLOBAL,
  ZERO_VELOCITY,
  codes,
  input,
  policyWith,
  trustedProfile,
  withDevice,
  withGeo,
} from './fixtures';

type Row = [string, Partial<EvaluationInput>, Record<string, number>];

function run(signal: Signal, over: Partial<EvaluationInput>): Reason[] {
  return signal(buildSignalContext(input(over)));
}

/** code → points, so a row states exactly which reasons a signal gives and what they cost. */
function summary(reasons: Reason[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reasons) {
    expect(REASON_CODES).toHaveProperty([r.code]);
    expect(r.detail.length).toBeGreaterThan(0);
    out[r.code] = (out[r.code] ?? 0) + r.points;
  }
  return out;
}

const w = defaultPolicy.weights;
const e = w.evidence;

/** The points of a likelihood ratio under the default policy (hand-checkable: 20 points per factor of ten). */
function pointsOf(ratio: number, weight: number): number {
  return Math.min(e.maxPoints, weight * e.pointsPerDecade * Math.log10(ratio));
}

/** How often a user with `profile` brings something new at `level`, as the engine sees it at NOW. */
function nu(profile: UserProfile, level: NoveltyLevel): number {
  return new HabitView(profile.habits, NOW, defaultPolicy.learning.halfLifeDays, e.priorLogins).novelty(level);
}

/**
 * A user who often signs in from new networks and places: every other login (from `n` days ago up to yesterday)
 * comes from another network in another city, proven by a step-up each time.
 */
function roamer(n = 20): UserProfile {
  let p = emptyProfile(NOW - (n + 1) * DAY);
  for (let i = n - 1; i >= 0; i--) {
    const away = withGeo(
      { asn: `AS${64500 + i}`, city: `Town ${i}`, prefix: `10.${i}.0.0/24` },
      { ...HOME, ip: `192.0.2.${i}` },
    );
    p = learn(p, i % 2 === 0 ? away : HOME, NOW - DAY - i * DAY, 'trusted');
  }
  return p;
}

describe('device signals', () => {
  const homebody = trustedProfile(20);
  it('gives nothing for the known device and browser, or a browser update', () => {
    expect(summary(run(deviceSignals, {}))).toEqual({});
  });

  it('weighs a new device id against how often the user brings one (no history of new devices: the prior)', () => {
    const points = pointsOf(ATTACKER.newDevice / nu(homebody, 'device'), e.device);
    // 20 logins with one device: ν = (0 + 4 × 0.1) / (20 · decay + 4) ≈ 0.018 → LR ≈ 52 → ≈ 34 points.
    expect(points).toBeGreaterThan(30);
    expect(summary(run(deviceSignals, { features: { ...HOME, deviceId: 'device-other' } }))).toEqual({
      'device.new': points,
    });
    expect(summary(run(deviceSignals, { features: { ...HOME, deviceId: undefined } }))).toEqual({
      'device.new': points,
    });
  });

  it('says nothing about device ids to an app that never sends one', () => {
    const profile = trustedProfile(20, { ...HOME, deviceId: undefined });
    expect(summary(run(deviceSignals, { profile, features: { ...HOME, deviceId: undefined } }))).toEqual({});
  });

  it.each([
    ['a new browser family', withDevice({ uaFamily: 'Firefox', uaKey: 'ff' })],
    ['a new OS', withDevice({ os: 'Linux', uaKey: 'chrome-linux' })],
    ['a new OS and device type (one reason)', withDevice({ os: 'iOS 17', deviceType: 'mobile', uaKey: 'ios' })],
    ['an unparseable user agent', withDevice({ uaFamily: undefined, uaKey: 'garbage' })],
  ])('flags %s as device.ua_changed', (_name, features) => {
    expect(summary(run(deviceSignals, { features }))).toEqual({
      'device.ua_changed': pointsOf(ATTACKER.newUserAgent / nu(homebody, 'ua'), e.userAgent),
    });
  });

  it('weighs another version of the user’s own browser lightly, an older one more', () => {
    const newer = run(deviceSignals, { features: withDevice({ browserMajor: '121', uaKey: 'chrome-121' }) });
    const older = run(deviceSignals, { features: withDevice({ browserMajor: '99', uaKey: 'chrome-99' }) });
    expect(codes(newer)).toEqual(['device.ua_version']);
    expect(codes(older)).toEqual(['device.ua_version']);
    expect(newer[0]!.points).toBeCloseTo(pointsOf(ATTACKER.otherVersion / nu(homebody, 'uaVersion'), e.userAgent), 9);
    expect(older[0]!.points).toBeGreaterThan(newer[0]!.points);
    expect(older[0]!.detail).toMatch(/older than the version 120/);
  });

  it.each<Row>([
    ['bot', { features: withDevice({ isBot: true }) }, { 'device.bot': w.device.bot }],
    ['headless', { features: withDevice({ isHeadless: true }) }, { 'device.headless': w.device.headless }],
    ['cli', { features: withDevice({ isCli: true }) }, { 'device.cli': w.device.cli }],
    ['no user agent', { features: withDevice({ uaMissing: true }) }, { 'device.ua_missing': w.device.uaMissing! }],
    [
      'no user agent, under a policy stored before device.uaMissing existed: scored as before, with the cli weight',
      {
        policy: policyWith((p) => {
          delete p.weights.device.uaMissing;
          p.weights.device.cli = 17;
        }),
        features: withDevice({ uaMissing: true }),
      },
      { 'device.ua_missing': 17 },
    ],
    [
      'bot without history still counts',
      { profile: undefined, features: withDevice({ isBot: true }) },
      { 'device.bot': 40 },
    ],
    ['new device without history is not novelty', { profile: undefined, features: { ...HOME, deviceId: 'x' } }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(deviceSignals, over))).toEqual(expected);
  });

  it('lets trust fade: a browser unused for longer than learning.trustDays is new again', () => {
    const old = trustedProfile(20, HOME, (defaultPolicy.learning.trustDays + 1) * DAY);
    expect(codes(run(deviceSignals, { profile: old }))).toContain('device.new');
  });
});

describe('geo signals', () => {
  const homebody = trustedProfile(20);
  const place = (level: NoveltyLevel, attacker: number) =>
    pointsOf(attacker / nu(homebody, level), level === 'country' ? e.country : e.place);

  it.each<Row>([
    ['home', {}, {}],
    [
      'a new city in the same region',
      { features: withGeo({ city: 'Voss' }) },
      { 'geo.new_city': place('city', ATTACKER.newCity) },
    ],
    [
      'a new region: one reason, the strongest of region and city',
      { features: withGeo({ region: 'Oslo', city: 'Oslo', lat: 59.91, lon: 10.75 }) },
      { 'geo.new_region': Math.max(place('region', ATTACKER.newRegion), place('city', ATTACKER.newCity)) },
    ],
    [
      'a new country: one reason, never weaker than a new region or city',
      { features: withGeo({ country: 'SE', region: 'Stockholm', city: 'Stockholm', lat: 59.33, lon: 18.07 }) },
      {
        'geo.new_country': Math.max(
          place('country', ATTACKER.newCountry),
          place('region', ATTACKER.newRegion),
          place('city', ATTACKER.newCity),
        ),
      },
    ],
    [
      'a new country without city data',
      { features: withGeo({ country: 'SE', region: undefined, city: undefined }) },
      {
        'geo.new_country': Math.max(
          place('country', ATTACKER.newCountry),
          place('region', ATTACKER.newRegion),
          place('city', ATTACKER.newCity),
        ),
      },
    ],
    ['private address', { features: { ...HOME, ip: '10.1.2.3', geo: { kind: 'private' } } }, { 'geo.private_ip': 0 }],
    ['loopback address', { features: { ...HOME, ip: '::1', geo: { kind: 'loopback' } } }, { 'geo.private_ip': 0 }],
    [
      'reserved address',
      { features: { ...HOME, ip: '203.0.113.9', geo: { kind: 'reserved' } } },
      { 'geo.private_ip': 0 },
    ],
    [
      'private address with points configured',
      {
        features: { ...HOME, ip: '10.1.2.3', geo: { kind: 'private' } },
        policy: policyWith((p) => (p.weights.geo.privateIp = 7)),
      },
      { 'geo.private_ip': 7 },
    ],
    ['unknown location', { features: { ...HOME, geo: { kind: 'unknown' } } }, { 'geo.unknown_location': 10 }],
    ['public but no country', { features: withGeo({ country: undefined }) }, { 'geo.unknown_location': 10 }],
    ['new country without history is not novelty', { profile: undefined, features: { ...HOME, geo: TOKYO_GEO } }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(geoSignals, over))).toEqual(expected);
  });

  it('weighs a new place less for a user who often brings one', () => {
    const visit = withGeo({ city: 'Voss' });
    const homebodyPoints = run(geoSignals, { features: visit })[0]!.points;
    const roamerPoints = run(geoSignals, { profile: roamer(), features: visit })[0]?.points ?? 0;
    expect(roamerPoints).toBeLessThan(homebodyPoints);
  });

  it('flags New York → Tokyo in 10 minutes as impossible travel, weighed against the user’s jumps', () => {
    const nyHome = withGeo({ country: 'US', region: 'New York', city: 'New York', ...NY });
    const profile = trustedProfile(20, nyHome, 10 * MIN);
    const reasons = run(geoSignals, { profile, features: { ...nyHome, geo: TOKYO_GEO } });
    const travel = reasons.find((r) => r.code === 'geo.impossible_travel');
    expect(travel?.points).toBeCloseTo(pointsOf(ATTACKER.impossibleTravel / nu(profile, 'travel'), e.travel), 9);
    expect(travel?.detail).toMatch(/^10,8\d\d km in 10 min \(65,\d{3} km\/h\); such jumps in .* of this user's logins/);
  });
  it.each<[string, number, { lat: number; lon: number }, boolean]>([
    ['NY → Tokyo in 10 min', 10 * MIN, TOKYO, true],
    ['NY → Tokyo in 20 h (a flight is ~14 h)', 20 * 60 * MIN, TOKYO, false],
    ['NY → Tokyo in 11 h (~990 km/h)', 11 * 60 * MIN, TOKYO, true],
    ['NY → Newark (15 km) in 1 min: below the distance floor', MIN, { lat: 40.73, lon: -74.17 }, false],
    ['NY → Boston (300 km) in 5 min', 5 * MIN, { lat: 42.36, lon: -71.06 }, true],
    ['NY → Boston (300 km) in 1 h', 60 * MIN, { lat: 42.36, lon: -71.06 }, false],
    ['NY → Tokyo at the same instant', 0, TOKYO, true],
  ])('%s → impossible travel: %s', (_name, ago, to, flagged) => {
    const nyHome = withGeo({ country: 'US', region: 'New York', city: 'New York', ...NY });
    const profile = trustedProfile(5, nyHome, ago);
    const reasons = run(geoSignals, { profile, features: withGeo({ ...to }, nyHome) });
    expect(reasons.some((r) => r.code === 'geo.impossible_travel')).toBe(flagged);
  });

  it('skips travel when either location is unknown', () => {
    const noCoords = withGeo({ lat: undefined, lon: undefined }, { ...HOME, geo: TOKYO_GEO });
    expect(run(geoSignals, { features: noCoords }).map((r) => r.code)).not.toContain('geo.impossible_travel');
    const profile = trustedProfile(5, withGeo({ lat: undefined, lon: undefined }));
    expect(run(geoSignals, { profile, features: { ...HOME, geo: TOKYO_GEO } }).map((r) => r.code)).not.toContain(
      'geo.impossible_travel',
    );
  });

  it('measures great-circle distances', () => {
    expect(haversineKm(NY.lat, NY.lon, TOKYO.lat, TOKYO.lon)).toBeCloseTo(10_850, -2);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 3);
    expect(haversineKm(HOME_GEO.lat!, HOME_GEO.lon!, HOME_GEO.lat!, HOME_GEO.lon!)).toBe(0);
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [5862, '5,862'],
    [35172.4, '35,172'],
    [1234567, '1,234,567'],
  ])('formats %d as %s', (n, s) => expect(formatThousands(n)).toBe(s));

  it.each([
    [30_000, '30 s'],
    [10 * MIN, '10 min'],
    [3 * 60 * MIN, '3 h'],
    [3 * DAY, '3 days'],
  ])('formats %d ms as %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('network signals', () => {
  const homebody = trustedProfile(20);
  const elsewhere = { ...HOME, ip: '198.51.100.7', geo: { ...HOME_GEO, asn: 'AS64496', prefix: '198.51.100.0/24' } };

  it('gives nothing for the known address', () => {
    expect(run(networkSignals, {})).toEqual([]);
  });

  it('weighs a network the user never proved against how often they bring one', () => {
    const points = pointsOf((1 - ATTACKER.knownNetwork) / nu(homebody, 'net'), e.network);
    expect(summary(run(networkSignals, { features: elsewhere }))).toEqual({ 'geo.new_network': points });
    const roaming = run(networkSignals, { profile: roamer(), features: elsewhere })[0]?.points ?? 0;
    expect(roaming).toBeLessThan(points);
  });

  it('weighs a new address in a trusted network against the user’s churn there; a new host in the /24 is nothing', () => {
    const sameSlash24 = run(networkSignals, { features: { ...HOME, ip: '81.167.144.99' } });
    expect(sameSlash24).toEqual([]);
    const otherPrefix = { ...HOME, ip: '81.167.150.9', geo: { ...HOME_GEO, prefix: '81.167.150.0/24' } };
    const reasons = run(networkSignals, { features: otherPrefix });
    expect(codes(reasons)).toEqual(['ip.new_address']);
    // 20 uses of AS29695, never a new address: churn = (0 + 4 × 0.3) / (20 + 4) = 0.05.
    const churn = (4 * 0.3) / 24;
    expect(reasons[0]!.points).toBeCloseTo(
      pointsOf(ATTACKER.knownNetwork / ((1 - nu(homebody, 'net')) * churn), e.address),
      9,
    );
  });

  it('says nothing about a new address in a network whose addresses rotate for this user', () => {
    let p = emptyProfile(NOW - 30 * DAY);
    for (let i = 0; i < 20; i++) {
      p = learn(
        p,
        { ...HOME, ip: `81.167.${100 + i}.1`, geo: { ...HOME_GEO, prefix: `81.167.${100 + i}.0/24` } },
        NOW - (20 - i) * DAY,
        'trusted',
      );
    }
    const next = { ...HOME, ip: '81.167.200.1', geo: { ...HOME_GEO, prefix: '81.167.200.0/24' } };
    expect(run(networkSignals, { profile: p, features: next })).toEqual([]);
  });

  it('adds network.rare for a new network few of the population trust, once the population is large enough', () => {
    const global = { ...ZERO_GLOBAL, total: 1000, asn: 0 };
    const rare = run(networkSignals, { features: elsewhere, global });
    expect(codes(rare)).toEqual(['geo.new_network', 'network.rare']);
    // Nobody on it: share = 0.5 / 1001, far below the ordinary 2 %: the ratio nears its bound 1 / (1 − 0.9) = 10.
    const share = 0.5 / 1001;
    const ratio = e.ordinaryNetworkShare / (0.9 * share + 0.1 * e.ordinaryNetworkShare);
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(10);
    expect(rare[1]!.points).toBeCloseTo(pointsOf(ratio, e.rareNetwork), 9);
    expect(rare[1]!.detail).toMatch(/trusted by 0 of 1000 users/);
    expect(codes(run(networkSignals, { features: elsewhere, global: { ...global, asn: 300 } }))).toEqual([
      'geo.new_network',
    ]);
    expect(codes(run(networkSignals, { features: elsewhere, global: { ...global, total: 10 } }))).toEqual([
      'geo.new_network',
    ]);
  });

  it('uses the address prefix as the network when the ASN is unknown', () => {
    const noAsn = (ip: string, prefix: string) => ({ ...HOME, ip, geo: { ...HOME_GEO, asn: undefined, prefix } });
    const profile = trustedProfile(20, noAsn('81.167.144.58', '81.167.144.0/24'));
    expect(codes(run(networkSignals, { profile, features: noAsn('81.167.144.99', '81.167.144.0/24') }))).toEqual([
      'ip.new_address',
    ]);
    const other = run(networkSignals, { profile, features: noAsn('198.51.100.7', '198.51.100.0/24') });
    expect(other[0]?.detail).toMatch(/this address's block \(\/24, \/48\)/);
  });

  it('judges nothing without history or for an unlocatable address', () => {
    expect(run(networkSignals, { profile: undefined, features: elsewhere })).toEqual([]);
    expect(run(networkSignals, { features: { ...elsewhere, geo: { kind: 'private' } } })).toEqual([]);
  });
});

describe('habit signals', () => {
  /** 30 logins at 09:00-10:00 UTC on 30 days. */
  const morning = () => {
    let p = emptyProfile(NOW - 31 * DAY);
    for (let i = 30; i >= 1; i--) p = learn(p, HOME, NOW - i * DAY - 3 * HOUR + (i % 3) * 20 * MIN, 'trusted');
    return p;
  };

  it('weighs an hour the user never signs in at, and nothing at their usual hour', () => {
    const profile = morning();
    const night = run(habitSignals, { profile, now: NOW + 12 * HOUR }).find((r) => r.code === 'time.unusual_hour');
    expect(night?.points).toBeGreaterThan(10);
    expect(night?.detail).toMatch(/^00:00 UTC holds/);
    const usual = run(habitSignals, { profile, now: NOW - 3 * HOUR });
    expect(codes(usual)).not.toContain('time.unusual_hour');
  });

  it('needs a few logins before hours mean anything', () => {
    expect(codes(run(habitSignals, { profile: trustedProfile(2), now: NOW + 10 * HOUR }))).not.toContain(
      'time.unusual_hour',
    );
  });

  it('weighs a quiet account: a daily user silent for weeks, against a daily user signing in today', () => {
    const busy = trustedProfile(40, HOME, 6 * HOUR);
    expect(codes(run(habitSignals, { profile: busy }))).not.toContain('user.dormant');
    const silent = trustedProfile(40, HOME, 40 * DAY);
    const dormant = run(habitSignals, { profile: silent }).find((r) => r.code === 'user.dormant');
    // Silent for 40 days: at most 1/40 logins a day lately → LR ≥ 0.5 × 40 = 20.
    expect(dormant?.points).toBeGreaterThanOrEqual(pointsOf(20, e.dormancy) - 1e-9);
    expect(dormant?.detail).toMatch(/last 40 days ago/);
  });
});

describe('sequence signals', () => {
  const proxy = { ...HOME, ip: '198.51.100.7', geo: { ...HOME_GEO, asn: 'AS64496', prefix: '198.51.100.0/24' } };

  it('weighs a failed sign-in from the same unfamiliar address just before', () => {
    const velocity = { ...ZERO_VELOCITY, userFailedSignIns: 1, failedSignInFromIp: true };
    expect(summary(run(sequenceSignals, { features: proxy, velocity }))).toEqual({
      'sequence.failed_before': pointsOf(ATTACKER.failedBefore / TYPO_BEFORE_SUCCESS, e.failedBefore),
    });
    // A typo at home is not suspicious.
    expect(run(sequenceSignals, { velocity })).toEqual([]);
  });

  it('flags a switch of network within the policy’s minutes, and nothing later or on the same network', () => {
    const rule = w.sequence.networkSwitch;
    const previous = (minutesAgo: number, network: string) => ({
      ...ZERO_VELOCITY,
      previous: { at: NOW - minutesAgo * MIN, network },
    });
    expect(summary(run(sequenceSignals, { velocity: previous(3, 'AS64496') }))).toEqual({
      'sequence.network_switch': rule.points,
    });
    expect(run(sequenceSignals, { velocity: previous(rule.withinMinutes + 1, 'AS64496') })).toEqual([]);
    expect(run(sequenceSignals, { velocity: previous(3, 'AS29695') })).toEqual([]);
    // A previous request stamped after this one (a client's back-dated timestamp) proves nothing.
    expect(run(sequenceSignals, { velocity: previous(-5, 'AS64496') })).toEqual([]);
  });
});

describe('velocity signals', () => {
  const v = w.velocity;
  it.each<Row>([
    ['quiet', {}, {}],
    [
      'user burst at threshold',
      { velocity: { ...ZERO_VELOCITY, userRequests: v.userBurst.threshold } },
      {
        'velocity.user_burst': v.userBurst.points,
      },
    ],
    ['user burst below threshold', { velocity: { ...ZERO_VELOCITY, userRequests: v.userBurst.threshold - 1 } }, {}],
    ['busy IP', { velocity: { ...ZERO_VELOCITY, ipRequests: 500 } }, { 'velocity.ip_burst': v.ipBurst.points }],
    [
      '40 users from one IP',
      { velocity: { ...ZERO_VELOCITY, ipDistinctUsers: 40 } },
      {
        'velocity.ip_many_users': v.ipManyUsers.points,
      },
    ],
    ['19 users from one IP', { velocity: { ...ZERO_VELOCITY, ipDistinctUsers: 19 } }, {}],
    [
      'failed step-ups',
      { velocity: { ...ZERO_VELOCITY, userFailedStepUps: 3 } },
      {
        'velocity.failed_step_ups': v.failedStepUps.points,
      },
    ],
    [
      'failed sign-ins',
      { velocity: { ...ZERO_VELOCITY, userFailedSignIns: 9 } },
      {
        'velocity.failed_sign_ins': v.failedSignIns.points,
      },
    ],
    [
      'everything at once',
      {
        velocity: {
          userRequests: 99,
          ipRequests: 999,
          ipDistinctUsers: 99,
          userFailedStepUps: 9,
          userFailedSignIns: 9,
        },
      },
      {
        'velocity.user_burst': 15,
        'velocity.ip_burst': 15,
        'velocity.ip_many_users': 40,
        'velocity.failed_step_ups': 25,
        'velocity.failed_sign_ins': 15,
      },
    ],
    [
      'failed sign-ins from one IP, for any users',
      { velocity: { ...ZERO_VELOCITY, ipFailedSignIns: v.ipFailedSignIns.threshold } },
      { 'velocity.ip_failed_sign_ins': v.ipFailedSignIns.points },
    ],
    ['one failed sign-in from the IP', { velocity: { ...ZERO_VELOCITY, ipFailedSignIns: 1 } }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(velocitySignals, over))).toEqual(expected);
  });
});

describe('list and reputation signals', () => {
  const lists = (allow: string[], deny: string[]) => policyWith((p) => (p.lists = { allow, deny }));
  it.each<Row>([
    ['no lists', {}, {}],
    ['deny-listed address', { policy: lists([], ['81.167.144.58']) }, { 'ip.denylisted': w.lists.denylisted }],
    ['deny-listed network', { policy: lists([], ['81.167.0.0/16']) }, { 'ip.denylisted': 100 }],
    ['allow-listed network', { policy: lists(['81.167.144.0/24'], []) }, { 'ip.allowlisted': w.lists.allowlisted }],
    [
      'on both lists: deny wins, no credit',
      { policy: lists(['81.167.144.0/24'], ['81.167.144.58']) },
      {
        'ip.denylisted': 100,
      },
    ],
    [
      'IPv4-mapped client against an IPv4 deny list',
      { policy: lists([], ['81.167.144.0/24']), features: { ...HOME, ip: '::ffff:81.167.144.58' } },
      { 'ip.denylisted': 100 },
    ],
    [
      'IPv6 client against an IPv6 deny list',
      { policy: lists([], ['2a00:1450::/32']), features: { ...HOME, ip: '2a00:1450:4001::5' } },
      { 'ip.denylisted': 100 },
    ],
    ['other address', { policy: lists(['10.0.0.0/8'], ['192.168.0.0/16']) }, {}],
    ['unparseable address matches nothing', { policy: lists([], ['0.0.0.0/0']), features: { ...HOME, ip: 'x' } }, {}],
    ['threat feed attack IP', { threat: { attackIp: true } }, { 'ip.attack_reputation': w.ipReputation.attackIp }],
    ['threat feed clean', { threat: { attackIp: false } }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(listSignals, over))).toEqual(expected);
  });
});

describe('new-user signal', () => {
  const below3 = policyWith((p) => (p.weights.newUser.historyBelow = 3));
  it.each<Row>([
    ['no profile', { profile: undefined }, { 'user.new': w.newUser.points }],
    [
      'profile with only unverified sightings',
      { profile: learn(undefined, HOME, NOW - DAY, 'unverified') },
      {
        'user.new': 25,
      },
    ],
    ['1 recorded login (default rule: none yet)', { profile: trustedProfile(1) }, {}],
    ['2 recorded logins, rule below 3', { profile: trustedProfile(2), policy: below3 }, { 'user.new': 25 }],
    ['3 recorded logins, rule below 3', { profile: trustedProfile(3), policy: below3 }, {}],
    ['rule disabled', { profile: undefined, policy: policyWith((p) => (p.weights.newUser.historyBelow = 0)) }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(newUserSignals, over))).toEqual(expected);
  });

  it('says so explicitly', () => {
    expect(run(newUserSignals, { profile: undefined })[0]?.detail).toBe('no login recorded yet');
  });
});

describe('action signal', () => {
  it.each(Object.entries(defaultPolicy.actions))('%s names its level', (action, entry) => {
    const ctx = buildSignalContext(input({ action }));
    const [r] = actionSignal(ctx, entry.level);
    expect(r).toEqual({
      code: 'action.sensitivity',
      points: 0,
      detail: expect.stringContaining(` is ${entry.level}:`),
    });
  });

  it.each(['unknown.action', 'constructor', '__proto__', 'toString', ''])('rejects %j as unknown', (action) => {
    expect(() => resolveActionLevel(defaultPolicy, action)).toThrow(UnknownActionError);
    try {
      resolveActionLevel(defaultPolicy, action);
    } catch (e) {
      expect(e).toBeInstanceOf(StepgateError);
      expect(e).toMatchObject({ code: 'unknown_action', action, name: 'UnknownActionError' });
    }
  });
});
