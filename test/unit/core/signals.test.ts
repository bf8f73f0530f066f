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
import type { EvaluationInput, Reason } from '../../../lambdas/core/risk/types';
import { UnknownActionError, StepgateError } from '../../../lambdas/core/errors';
import {
  DAY,
  HOME,
  HOME_GEO,
  MIN,
  NOW,
  NY,
  TOKYO,
  TOKYO_GEO,
  ZERO_VELOCITY,
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

describe('device signals', () => {
  it.each<Row>([
    ['known device and browser', {}, {}],
    ['new device id', { features: { ...HOME, deviceId: 'device-other' } }, { 'device.new': w.device.newDevice }],
    [
      'no device id while trusted devices exist',
      { features: { ...HOME, deviceId: undefined } },
      { 'device.new': w.device.newDevice },
    ],
    [
      'no device id from an app that never sends one',
      { features: { ...HOME, deviceId: undefined }, profile: trustedProfile(20, { ...HOME, deviceId: undefined }) },
      {},
    ],
    [
      'new browser family',
      { features: withDevice({ uaFamily: 'Firefox' }) },
      { 'device.ua_changed': w.device.uaChanged },
    ],
    ['browser version upgrade only', { features: withDevice({ browserMajor: '121', uaKey: 'chrome-121' }) }, {}],
    ['new OS', { features: withDevice({ os: 'Linux' }) }, { 'device.ua_changed': w.device.uaChanged }],
    [
      'new OS and device type count once',
      { features: withDevice({ os: 'iOS 17', deviceType: 'mobile' }) },
      { 'device.ua_changed': w.device.uaChanged },
    ],
    [
      'unparseable UA with known families',
      { features: withDevice({ uaFamily: undefined }) },
      { 'device.ua_changed': 10 },
    ],
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
});

describe('geo signals', () => {
  it.each<Row>([
    ['home', {}, {}],
    ['new city in the same region', { features: withGeo({ city: 'Voss' }) }, { 'geo.new_city': w.geo.newCity }],
    [
      'new region (and so new city)',
      { features: withGeo({ region: 'Oslo', city: 'Oslo', lat: 59.91, lon: 10.75 }) },
      { 'geo.new_region': w.geo.newRegion, 'geo.new_city': w.geo.newCity },
    ],
    [
      'new country is also a new region and city',
      { features: withGeo({ country: 'SE', region: 'Stockholm', city: 'Stockholm', lat: 59.33, lon: 18.07 }) },
      { 'geo.new_country': w.geo.newCountry, 'geo.new_region': w.geo.newRegion, 'geo.new_city': w.geo.newCity },
    ],
    [
      'new country without city data',
      { features: withGeo({ country: 'SE', region: undefined, city: undefined }) },
      {
        'geo.new_country': w.geo.newCountry,
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

  it('flags New York → Tokyo in 10 minutes as impossible travel', () => {
    const nyHome = withGeo({ country: 'US', region: 'New York', city: 'New York', ...NY });
    const profile = trustedProfile(20, nyHome, 10 * MIN);
    const reasons = run(geoSignals, { profile, features: { ...nyHome, geo: TOKYO_GEO } });
    const travel = reasons.find((r) => r.code === 'geo.impossible_travel');
    expect(travel?.points).toBe(w.geo.impossibleTravel);
    expect(travel?.detail).toMatch(/^10,8\d\d km in 10 min \(65,\d{3} km\/h\)$/);
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
    ['1 trusted session (default rule: none yet)', { profile: trustedProfile(1) }, {}],
    ['2 trusted sessions, rule below 3', { profile: trustedProfile(2), policy: below3 }, { 'user.new': 25 }],
    ['3 trusted sessions, rule below 3', { profile: trustedProfile(3), policy: below3 }, {}],
    ['rule disabled', { profile: undefined, policy: policyWith((p) => (p.weights.newUser.historyBelow = 0)) }, {}],
  ])('%s', (_name, over, expected) => {
    expect(summary(run(newUserSignals, over))).toEqual(expected);
  });

  it('says so explicitly', () => {
    expect(run(newUserSignals, { profile: undefined })[0]?.detail).toBe('no trusted session yet');
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
