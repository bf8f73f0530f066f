import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { emptyProfile, learn } from '../../../lambdas/core/risk/learning';
import type {
  Device,
  EvaluationInput,
  Geo,
  GlobalStats,
  GrantInfo,
  RequestFeatures,
  UserProfile,
} from '../../../lambdas/core/risk/types';

/** Small pools, so that generated requests often meet what a generated profile has already learned. */
export const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);
export const DAY = 86_400_000;

const places: Geo[] = [
  {
    kind: 'public',
    country: 'NO',
    region: 'Vestland',
    city: 'Bergen',
    lat: 60.39,
    lon: 5.32,
    prefix: '81.167.144.0/24',
  },
  { kind: 'public', country: 'NO', region: 'Vestland', city: 'Voss', lat: 60.63, lon: 6.41, asn: 'AS2119' },
  { kind: 'public', country: 'NO', region: 'Oslo', city: 'Oslo', lat: 59.91, lon: 10.75, asn: 'AS29695' },
  { kind: 'public', country: 'JP', region: 'Tokyo', city: 'Tokyo', lat: 35.68, lon: 139.69, asn: 'AS2516' },
  { kind: 'public', country: 'US', region: 'New York', city: 'New York', lat: 40.71, lon: -74.0 },
  { kind: 'public', country: 'DE' },
  { kind: 'private' },
  { kind: 'unknown' },
];

const devices: Device[] = [
  {
    uaFamily: 'Chrome',
    browserMajor: '120',
    os: 'Windows 10',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: 'chrome-120-win',
  },
  {
    uaFamily: 'Chrome',
    browserMajor: '121',
    os: 'Windows 10',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: 'chrome-121-win',
  },
  {
    uaFamily: 'Chrome Mobile',
    browserMajor: '120',
    os: 'Android',
    deviceType: 'mobile',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: 'chrome-m-120',
  },
  {
    uaFamily: 'Firefox',
    browserMajor: '121',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: 'ff-121-linux',
  },
  {
    uaFamily: 'Firefox',
    browserMajor: '122',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: 'ff-122-linux',
  },
  {
    uaFamily: 'Safari',
    browserMajor: '17',
    os: 'iOS',
    deviceType: 'mobile',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Safari',
    browserMajor: '16',
    os: 'iOS',
    deviceType: 'mobile',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'curl',
    os: undefined,
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: true,
    uaKey: 'curl',
  },
  { deviceType: 'desktop', isBot: true, isHeadless: false, isCli: false },
];

const ips = [
  '81.167.144.58',
  '81.167.144.99',
  '2a01:79c:cebf:d688::1',
  '106.72.0.9',
  '12.45.10.20',
  '10.0.0.7',
  '198.18.3.4',
];

export const featuresArb: fc.Arbitrary<RequestFeatures> = fc
  .record({
    ip: fc.constantFrom(...ips),
    deviceId: fc.option(fc.constantFrom('dev-a', 'dev-b', 'dev-c', '__proto__'), { nil: undefined }),
    geo: fc.constantFrom(...places),
    device: fc.constantFrom(...devices),
  })
  .map(({ deviceId, ...rest }) => ({ ...rest, ...(deviceId ? { deviceId } : {}) }));

/** A profile learned from a random history (trusted and unverified sightings). */
export const profileArb: fc.Arbitrary<UserProfile | undefined> = fc.option(
  fc
    .array(fc.record({ features: featuresArb, ago: fc.integer({ min: 1, max: 60 * DAY }), trusted: fc.boolean() }), {
      maxLength: 40,
    })
    .map((history) => {
      let profile = emptyProfile(NOW - 400 * DAY);
      for (const h of [...history].sort((a, b) => b.ago - a.ago)) {
        profile = learn(profile, h.features, NOW - h.ago, h.trusted ? 'trusted' : 'unverified');
      }
      return profile;
    }),
  { nil: undefined, freq: 6 },
);

export const globalArb: fc.Arbitrary<GlobalStats> = fc
  .record({
    total: fc.nat(100_000),
    ip: fc.nat(100),
    prefix: fc.nat(1000),
    asn: fc.nat(10_000),
    country: fc.nat(50_000),
    ua: fc.nat(100),
    browser: fc.nat(10_000),
    os: fc.nat(20_000),
    deviceType: fc.nat(50_000),
  })
  .map((g) => ({ ...g, total: Math.max(g.total, g.country, g.deviceType) }));

const ACTIONS = Object.keys(defaultPolicy.actions);

export const grantArb: fc.Arbitrary<GrantInfo | undefined> = fc.option(
  fc
    .record({
      stepUpId: fc.constant('su-1'),
      userId: fc.constantFrom('alice', 'mallory'),
      action: fc.constantFrom(...ACTIONS),
      acr: fc.constantFrom('urn:stepgate:acr:otp', 'urn:other'),
      grantedAt: fc.integer({ min: NOW - 2 * 3600_000, max: NOW }),
      consumed: fc.boolean(),
      sessionId: fc.option(fc.constant('sess-A'), { nil: undefined }),
    })
    .map(({ sessionId, ...g }) => ({ ...g, ...(sessionId ? { sessionId } : {}) })),
  { nil: undefined, freq: 3 },
);

export const inputArb: fc.Arbitrary<Omit<EvaluationInput, 'policy'>> = fc
  .record({
    action: fc.constantFrom(...ACTIONS),
    features: featuresArb,
    profile: profileArb,
    velocity: fc.record({
      userRequests: fc.nat(30),
      ipRequests: fc.nat(200),
      ipDistinctUsers: fc.nat(40),
      userFailedStepUps: fc.nat(5),
      userFailedSignIns: fc.nat(8),
    }),
    global: globalArb,
    grant: grantArb,
    sessionId: fc.option(fc.constantFrom('sess-A', 'sess-B'), { nil: undefined }),
    attackIp: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ profile, grant, sessionId, attackIp, ...rest }) => ({
    userId: 'alice',
    now: NOW,
    ...(sessionId ? { sessionId } : {}),
    ...rest,
    ...(profile ? { profile } : {}),
    ...(grant ? { grant } : {}),
    ...(attackIp !== undefined ? { threat: { attackIp } } : {}),
  }));

const w = fc.integer({ min: 0, max: 60 });
const ew = fc.constantFrom(0, 0.5, 1, 2);

/** Valid policies that differ from the default in weights, evidence, geo, learning and lists. */
export const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    device: fc.record({ bot: w, headless: w, cli: w }),
    geo: fc.record({ privateIp: w, unknownLocation: w }),
    evidence: fc.record({
      maxPoints: fc.integer({ min: 0, max: 60 }),
      pointsPerDecade: fc.integer({ min: 0, max: 30 }),
      priorLogins: fc.constantFrom(0.5, 4, 20),
      ordinaryNetworkShare: fc.constantFrom(0.001, 0.02, 0.3),
      network: ew,
      address: ew,
      rareNetwork: ew,
      country: ew,
      place: ew,
      userAgent: ew,
      device: ew,
      travel: ew,
      hour: ew,
      dormancy: ew,
      failedBefore: ew,
    }),
    switchPoints: w,
    learning: fc.record({
      confirmDays: fc.integer({ min: 2, max: 4 }),
      trustDays: fc.constantFrom(1, 30, 120),
      halfLifeDays: fc.constantFrom(1, 60, 365),
    }),
    newUser: fc.record({ points: w, historyBelow: fc.integer({ min: 0, max: 10 }) }),
    kmh: fc.constantFrom(300, 900, 5000),
    minKm: fc.constantFrom(0, 100, 500),
    allow: fc.constantFrom<string[]>([], ['81.167.144.0/24'], ['10.0.0.0/16']),
    deny: fc.constantFrom<string[]>([], ['198.18.0.0/15'], ['106.72.0.9']),
    stepShift: fc.integer({ min: -20, max: 0 }),
  })
  .map((r) => {
    const p = structuredClone(defaultPolicy);
    // Spread over the default so that weights added to the schema later keep a valid value.
    p.weights.geo = { ...p.weights.geo, ...r.geo };
    p.weights.device = { ...p.weights.device, ...r.device };
    p.weights.evidence = { ...p.weights.evidence, ...r.evidence };
    p.weights.sequence.networkSwitch.points = r.switchPoints;
    p.learning = { ...p.learning, ...r.learning };
    p.weights.newUser = r.newUser;
    p.geo = { impossibleTravelKmh: r.kmh, minDistanceKm: r.minKm };
    p.lists = { allow: [...r.allow], deny: [...r.deny] };
    // Shifting every level by the same amount keeps the levels ordered (a valid policy).
    for (const level of Object.values(p.levels)) {
      level.stepUpAt = Math.max(0, level.stepUpAt + r.stepShift);
      level.denyAt = Math.max(level.stepUpAt, level.denyAt + r.stepShift);
    }
    return p;
  });
