import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { parsePolicy, SENSITIVITY_LEVELS, type Policy } from '../../../lambdas/core/policy/policy-schema';
import { decisionRank, evaluate, riskLevelOf } from '../../../lambdas/core/risk/engine';
import { contextKeys, emptyProfile, learn, recordFailure } from '../../../lambdas/core/risk/learning';
import { knownSightingsOf } from '../../../lambdas/core/risk/profile';
import { REASON_CODES } from '../../../lambdas/core/risk/reason-codes';
import type {
  Device,
  EvaluationInput,
  Geo,
  GlobalStats,
  GrantInfo,
  RequestFeatures,
  UserProfile,
  VelocityCounts,
} from '../../../lambdas/core/risk/types';
import { DAY, HOME, HOME_DEVICE, HOME_GEO, HOUR, MIN, NOW, TOKYO_GEO, ZERO_GLOBAL } from './fixtures';

const RUNS = { numRuns: 250 };
const ACTIONS = Object.keys(defaultPolicy.actions);

// ---------------------------------------------------------------------------------------------------- arbitraries

const OFFICE: RequestFeatures = {
  ip: '2a01:79c:cebf:d688::1',
  deviceId: 'device-office',
  geo: {
    ...HOME_GEO,
    region: 'Vestland',
    city: 'Voss',
    lat: 60.63,
    lon: 6.41,
    asn: 'AS2119',
    prefix: '2a01:79c:cebf::/48',
  },
  device: { ...HOME_DEVICE, uaFamily: 'Edge', browserMajor: '119', uaKey: 'edge-119' },
};

const geoArb: fc.Arbitrary<Geo> = fc.oneof(
  fc.constant(HOME_GEO),
  fc.constant(OFFICE.geo),
  fc.constant(TOKYO_GEO),
  // Partly familiar places: known country, other region or city, or an unknown network.
  fc
    .record({
      region: fc.constantFrom('Vestland', 'Oslo', undefined),
      city: fc.constantFrom('Bergen', 'Voss', 'Oslo', undefined),
      asn: fc.constantFrom('AS29695', 'AS2119', 'AS3320', undefined),
    })
    .map((over): Geo => ({ ...HOME_GEO, ...over })),
  fc.record(
    {
      kind: fc.constant('public' as const),
      country: fc.constantFrom('NO', 'SE', 'JP', 'US', 'DE'),
      region: fc.constantFrom('Vestland', 'Tokyo', 'Berlin', 'New York'),
      city: fc.constantFrom('Bergen', 'Voss', 'Tokyo', 'Berlin', 'New York'),
      lat: fc.double({ min: -80, max: 80, noNaN: true }),
      lon: fc.double({ min: -179, max: 179, noNaN: true }),
      asn: fc.constantFrom('AS29695', 'AS2119', 'AS3320', 'AS2516'),
    },
    { requiredKeys: ['kind', 'country', 'region', 'city'] },
  ),
  fc.constantFrom<Geo>({ kind: 'private' }, { kind: 'loopback' }, { kind: 'reserved' }, { kind: 'unknown' }),
);

const deviceArb: fc.Arbitrary<Device> = fc.oneof(
  fc.constant(HOME_DEVICE),
  fc.constant(OFFICE.device),
  fc.record(
    {
      uaFamily: fc.constantFrom('Chrome', 'Edge', 'Firefox', 'Safari'),
      browserMajor: fc.constantFrom('99', '119', '120'),
      os: fc.constantFrom('Windows 10', 'Linux', 'iOS 17'),
      deviceType: fc.constantFrom('desktop', 'mobile', 'tablet'),
      isBot: fc.boolean(),
      isHeadless: fc.boolean(),
      isCli: fc.boolean(),
      uaKey: fc.constantFrom('chrome-120-windows-10', 'edge-119', 'ff', 'curl'),
    },
    { requiredKeys: ['deviceType', 'isBot', 'isHeadless', 'isCli'] },
  ),
);

const featuresArb: fc.Arbitrary<RequestFeatures> = fc.record(
  {
    ip: fc.oneof(fc.constantFrom(HOME.ip, OFFICE.ip, '106.72.0.9', '::ffff:81.167.144.58'), fc.ipV4(), fc.ipV6()),
    deviceId: fc.constantFrom('device-home', 'device-office', 'device-other'),
    geo: geoArb,
    device: deviceArb,
  },
  { requiredKeys: ['ip', 'geo', 'device'] },
);

const profileArb: fc.Arbitrary<UserProfile | undefined> = fc.option(
  fc
    .record({
      home: fc.nat(25),
      office: fc.nat(6),
      unverified: fc.nat(3),
      // Allowed logins without a step-up, some after failed attempts, some followed by a failure from them.
      observed: fc.array(
        fc.record({ ctx: featuresArb, daysAgo: fc.nat(20), afterFailures: fc.boolean(), failed: fc.boolean() }),
        { maxLength: 4 },
      ),
      lastAgo: fc.integer({ min: 0, max: 30 * DAY }),
    })
    .map(({ home, office, unverified, observed, lastAgo }) => {
      let p = emptyProfile(NOW - 365 * DAY);
      const total = home + office;
      for (let i = 0; i < total; i++) {
        const ctx = i % 4 === 3 && i / 4 < office ? OFFICE : HOME;
        p = learn(p, ctx, NOW - lastAgo - (total - i) * DAY, 'trusted');
      }
      for (const o of [...observed].sort((a, b) => b.daysAgo - a.daysAgo)) {
        const at = NOW - o.daysAgo * DAY - HOUR;
        p = learn(p, o.ctx, at, 'observed', { afterFailures: o.afterFailures });
        if (o.failed) p = recordFailure(p, at + MIN, { ip: o.ctx.ip, network: o.ctx.geo.asn });
      }
      for (let i = 0; i < unverified; i++) p = learn(p, { ...HOME, geo: TOKYO_GEO }, NOW - MIN, 'unverified');
      return p;
    }),
  { nil: undefined, freq: 8 },
);

const count = fc.nat(60);
const velocityArb: fc.Arbitrary<VelocityCounts> = fc.record(
  {
    userRequests: count,
    ipRequests: fc.nat(300),
    ipDistinctUsers: count,
    userFailedStepUps: fc.nat(6),
    userFailedSignIns: fc.nat(10),
    ipFailedSignIns: fc.nat(10),
    failedSignInFromIp: fc.boolean(),
    previous: fc.record({
      at: fc.integer({ min: NOW - 70 * MIN, max: NOW + 5 * MIN }),
      network: fc.constantFrom('AS29695', 'AS2119', 'AS3320', '81.167.144.0/24'),
    }),
  },
  { requiredKeys: ['userRequests', 'ipRequests', 'ipDistinctUsers', 'userFailedStepUps', 'userFailedSignIns'] },
);

const globalArb: fc.Arbitrary<GlobalStats> = fc.oneof(
  fc.constant(ZERO_GLOBAL),
  fc
    .record({
      total: fc.integer({ min: 1, max: 1_000_000 }),
      ip: fc.nat(1000),
      prefix: fc.nat(5000),
      asn: fc.nat(50_000),
      country: fc.nat(500_000),
      ua: fc.nat(1000),
      browser: fc.nat(100_000),
      os: fc.nat(200_000),
      deviceType: fc.nat(500_000),
    })
    .map((g) => ({ ...g, total: Math.max(g.total, g.country, g.deviceType) })),
);

const points = fc.integer({ min: 0, max: 60 });
const weight = fc.constantFrom(0, 0.3, 1, 2.5);

/** Random but valid policies: random weights, monotone random thresholds and ages, lists, acrs, learning. */
const policyArb: fc.Arbitrary<Policy> = fc.oneof(
  fc.constant(defaultPolicy),
  fc
    .record({
      stepUps: fc.array(fc.integer({ min: 0, max: 101 }), { minLength: 5, maxLength: 5 }),
      gaps: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 5, maxLength: 5 }),
      ages: fc.array(fc.constantFrom(0, 30, 120, 300, 900, 3600), { minLength: 5, maxLength: 5 }),
      acrs: fc.array(fc.constantFrom('urn:a', 'urn:b'), { minLength: 5, maxLength: 5 }),
      device: fc.record({ bot: points, headless: points, cli: points }),
      geo: fc.record({ privateIp: points, unknownLocation: points }),
      evidence: fc.record({
        pointsPerDecade: fc.integer({ min: 0, max: 40 }),
        maxPoints: fc.integer({ min: 0, max: 80 }),
        priorLogins: fc.constantFrom(0.5, 4, 30),
        ordinaryNetworkShare: fc.constantFrom(0.001, 0.02, 0.5),
        network: weight,
        address: weight,
        rareNetwork: weight,
        country: weight,
        place: weight,
        userAgent: weight,
        device: weight,
        travel: weight,
        hour: weight,
        dormancy: weight,
        failedBefore: weight,
      }),
      networkSwitch: fc.record({ points, withinMinutes: fc.constantFrom(0, 10, 60) }),
      velocity: fc.array(fc.record({ points, threshold: fc.integer({ min: 1, max: 40 }) }), {
        minLength: 6,
        maxLength: 6,
      }),
      newUser: fc.record({ points, historyBelow: fc.nat(6) }),
      attackIp: points,
      allowlisted: fc.integer({ min: -40, max: 0 }),
      allow: fc.subarray(['81.167.144.0/24', '2a01:79c::/32', '106.72.0.0/16', '81.167.0.0/16']),
      deny: fc.subarray(['203.0.113.0/24', '10.0.0.0/8', '2001:db8::/32']),
      trustBelow: fc.integer({ min: 0, max: 101 }),
      learning: fc.record({
        confirmDays: fc.integer({ min: 2, max: 5 }),
        confirmUses: fc.integer({ min: 1, max: 5 }),
        trustDays: fc.constantFrom(1, 10, 120, 3650),
        halfLifeDays: fc.constantFrom(1, 60, 3650),
      }),
      travel: fc.record({ kmh: fc.constantFrom(300, 900, 5000), minKm: fc.constantFrom(0, 100, 500) }),
    })
    .map((r) => {
      const p = structuredClone(defaultPolicy);
      const stepUps = [...r.stepUps].sort((a, b) => b - a);
      const ages = [...r.ages].sort((a, b) => b - a);
      SENSITIVITY_LEVELS.forEach((level, i) => {
        const l = p.levels[level];
        l.stepUpAt = stepUps[i]!;
        l.denyAt = Math.min(101, stepUps[i]! + r.gaps[i]!);
        l.maxAgeSeconds = ages[i]!;
        l.acr = r.acrs[i]!;
      });
      // critical always steps up, every time (a schema guardrail).
      p.levels.critical.stepUpAt = 0;
      p.levels.critical.maxAgeSeconds = 0;
      // Repair denyAt monotonicity that the random gaps may break.
      for (let i = 1; i < SENSITIVITY_LEVELS.length; i++) {
        const prev = p.levels[SENSITIVITY_LEVELS[i - 1]!];
        const cur = p.levels[SENSITIVITY_LEVELS[i]!];
        cur.denyAt = Math.max(cur.stepUpAt, Math.min(cur.denyAt, prev.denyAt));
      }
      p.weights.device = r.device;
      p.weights.geo = r.geo;
      p.weights.evidence = r.evidence;
      p.weights.sequence.networkSwitch = r.networkSwitch;
      const [userBurst, ipBurst, ipManyUsers, failedStepUps, failedSignIns, ipFailedSignIns] = r.velocity;
      p.weights.velocity = {
        userBurst: userBurst!,
        ipBurst: ipBurst!,
        ipManyUsers: ipManyUsers!,
        failedStepUps: failedStepUps!,
        failedSignIns: failedSignIns!,
        ipFailedSignIns: ipFailedSignIns!,
      };
      p.weights.newUser = r.newUser;
      p.weights.ipReputation = { attackIp: r.attackIp };
      p.weights.lists.allowlisted = r.allowlisted;
      p.lists = { allow: r.allow, deny: r.deny };
      p.learning = { ...r.learning, trustBelowScore: r.trustBelow };
      p.geo = { impossibleTravelKmh: r.travel.kmh, minDistanceKm: r.travel.minKm };
      const parsed = parsePolicy(p);
      if (!parsed.ok) throw new Error(`generator made an invalid policy: ${JSON.stringify(parsed.issues)}`);
      return parsed.policy;
    }),
);

const inputArb: fc.Arbitrary<EvaluationInput> = fc
  .record({
    action: fc.constantFrom(...ACTIONS),
    features: featuresArb,
    profile: profileArb,
    velocity: velocityArb,
    global: globalArb,
    threat: fc.option(fc.record({ attackIp: fc.boolean() }), { nil: undefined }),
    policy: policyArb,
    grant: fc.option(
      fc.record({
        age: fc.oneof(
          fc.constantFrom(10_000, 60_000, 200_000, 299_000, 301_000),
          fc.integer({ min: -2 * MIN, max: 70 * MIN }),
        ),
        consumed: fc.boolean(),
        acr: fc.constantFrom('urn:stepgate:acr:otp', 'urn:a', 'urn:b'),
        deviceId: fc.option(fc.constantFrom('device-home', 'device-other'), { nil: undefined }),
        sameAction: fc.boolean(),
      }),
      { nil: undefined },
    ),
  })
  .map(({ grant, ...r }) => {
    const i: EvaluationInput = { userId: 'alice@example.com', now: NOW, ...r };
    if (grant) {
      const g: GrantInfo = {
        stepUpId: 'su',
        userId: i.userId,
        action: grant.sameAction ? i.action : 'data.export',
        acr: grant.acr,
        grantedAt: NOW - grant.age,
        consumed: grant.consumed,
      };
      if (grant.deviceId !== undefined) g.deviceId = grant.deviceId;
      i.grant = g;
    }
    return i;
  });

// ----------------------------------------------------------------------------------------------- risk factors

type Factor = (i: EvaluationInput) => EvaluationInput;

function denyListHit(i: EvaluationInput): EvaluationInput {
  return { ...i, policy: { ...i.policy, lists: { ...i.policy.lists, deny: [...i.policy.lists.deny, i.features.ip] } } };
}

const withFeatures = (i: EvaluationInput, f: Partial<RequestFeatures>): EvaluationInput => ({
  ...i,
  features: { ...i.features, ...f },
});

const FACTORS: Record<string, fc.Arbitrary<Factor>> = {
  newDevice: fc.constant((i) => withFeatures(i, { deviceId: 'device-never-seen' })),
  newCountry: fc.constant((i) =>
    // Only meaningful for a located request: moving to a new country keeps the coordinates.
    i.features.geo.kind === 'public' && i.features.geo.country
      ? withFeatures(i, { geo: { ...i.features.geo, country: 'ZZ' } })
      : i,
  ),
  velocity: fc
    .record({ a: fc.nat(30), b: fc.nat(300), c: fc.nat(30), d: fc.nat(5), e: fc.nat(5), f: fc.nat(5) })
    .map(({ a, b, c, d, e, f }) => (i: EvaluationInput) => ({
      ...i,
      velocity: {
        ...i.velocity,
        userRequests: i.velocity.userRequests + a,
        ipRequests: i.velocity.ipRequests + b,
        ipDistinctUsers: i.velocity.ipDistinctUsers + c,
        userFailedStepUps: i.velocity.userFailedStepUps + d,
        userFailedSignIns: i.velocity.userFailedSignIns + e,
        ipFailedSignIns: (i.velocity.ipFailedSignIns ?? 0) + f,
      },
    })),
  failedBefore: fc.constant((i) => ({
    ...i,
    velocity: { ...i.velocity, userFailedSignIns: i.velocity.userFailedSignIns + 1, failedSignInFromIp: true },
  })),
  networkSwitch: fc.constant((i) => ({
    ...i,
    velocity: { ...i.velocity, previous: { at: i.now - 2 * MIN, network: 'AS64511-elsewhere' } },
  })),
  bot: fc.constant((i) => withFeatures(i, { device: { ...i.features.device, isBot: true } })),
  headless: fc.constant((i) => withFeatures(i, { device: { ...i.features.device, isHeadless: true } })),
  cli: fc.constant((i) => withFeatures(i, { device: { ...i.features.device, isCli: true } })),
  uaMissing: fc.constant((i) => withFeatures(i, { device: { ...i.features.device, uaMissing: true } })),
  attackIp: fc.constant((i) => ({ ...i, threat: { attackIp: true } })),
  denyListHit: fc.constant(denyListHit),
};

const factorArb = fc.oneof(...Object.entries(FACTORS).map(([name, f]) => f.map((apply) => ({ name, apply }))));

// ---------------------------------------------------------------------------------------------------- properties

describe('engine properties', () => {
  it.each(Object.keys(FACTORS))('adding a risk factor (%s) never lowers the score nor the decision', (name) => {
    fc.assert(
      fc.property(inputArb, FACTORS[name]!, (start, apply) => {
        const before = evaluate(start);
        const after = evaluate(apply(start));
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        expect(decisionRank(after.decision)).toBeGreaterThanOrEqual(decisionRank(before.decision));
      }),
      RUNS,
    );
  });

  it('stacking risk factors never lowers the score nor the decision', () => {
    fc.assert(
      fc.property(inputArb, fc.array(factorArb, { minLength: 2, maxLength: 5 }), (start, factors) => {
        let before = evaluate(start);
        let current = start;
        for (const factor of factors) {
          current = factor.apply(current);
          const after = evaluate(current);
          expect(after.score).toBeGreaterThanOrEqual(before.score);
          expect(decisionRank(after.decision)).toBeGreaterThanOrEqual(decisionRank(before.decision));
          before = after;
        }
      }),
      RUNS,
    );
  });

  it('a deny-list hit always denies', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        expect(evaluate(denyListHit(i)).decision).toBe('deny');
      }),
      RUNS,
    );
  });

  it('raising an action’s sensitivity never relaxes the decision', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 4 }), (i, raise) => {
        const from = i.policy.actions[i.action]!.level;
        const fromIndex = SENSITIVITY_LEVELS.indexOf(from);
        const to = SENSITIVITY_LEVELS[Math.min(SENSITIVITY_LEVELS.length - 1, fromIndex + raise)]!;
        const raised: Policy = {
          ...i.policy,
          actions: { ...i.policy.actions, [i.action]: { level: to } },
        };
        const a = evaluate(i);
        const b = evaluate({ ...i, policy: raised });
        expect(b.level).toBe(to);
        expect(b.score).toBe(a.score);
        expect(decisionRank(b.decision)).toBeGreaterThanOrEqual(decisionRank(a.decision));
      }),
      RUNS,
    );
  });

  it('same input gives a deep-equal output', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const a = evaluate(i);
        expect(evaluate(i)).toEqual(a);
        expect(evaluate(structuredClone(i))).toEqual(a);
      }),
      RUNS,
    );
  });

  it('keeps its output invariants', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const e = evaluate(i);
        const sum = e.reasons.reduce((s, r) => s + r.points, 0);
        // Whole points that add up exactly to the rounded raw score, the score before clamping.
        for (const r of e.reasons) expect(Number.isInteger(r.points)).toBe(true);
        expect(sum).toBe(Math.round(e.rawScore));
        expect(Number.isInteger(e.score)).toBe(true);
        expect(e.score).toBeGreaterThanOrEqual(0);
        expect(e.score).toBeLessThanOrEqual(100);
        expect(e.score).toBe(Math.min(100, Math.max(0, Math.round(e.rawScore))));
        expect(e.riskLevel).toBe(riskLevelOf(e.score));
        expect(e.level).toBe(i.policy.actions[i.action]!.level);
        expect(e.reasons[0]?.code).toBe('action.sensitivity');
        for (const r of e.reasons) expect(Object.keys(REASON_CODES)).toContain(r.code);
        expect(e.stepUp !== undefined).toBe(e.decision === 'step_up');
        if (e.stepUp) expect(e.stepUp.acr).toBe(i.policy.levels[e.level].acr);
        if (e.teaches) expect(e.decision).toBe('allow');
        if (e.grantRedeemed) expect(e.reasons.map((r) => r.code)).toContain('step_up.satisfied');
        if (i.grant === undefined) expect(e.grantRedeemed).toBeUndefined();
        const levelThresholds = i.policy.levels[e.level];
        const denied = e.reasons.some((r) => r.code === 'ip.denylisted');
        if (!denied && !e.grantRedeemed) {
          const expected =
            e.score < levelThresholds.stepUpAt ? 'allow' : e.score < levelThresholds.denyAt ? 'step_up' : 'deny';
          expect(e.decision).toBe(expected);
        }
      }),
      RUNS,
    );
  });

  it('one allowed login without a step-up never makes its own new context familiar the same day', () => {
    fc.assert(
      fc.property(inputArb, fc.boolean(), (i, afterFailures) => {
        fc.pre(i.profile !== undefined && i.profile.trustedEvents > 0);
        const keys = contextKeys(i.features);
        const { trustDays } = i.policy.learning;
        const learnedAt = i.now - MIN;
        const before = knownSightingsOf(i.profile, keys, learnedAt, trustDays);
        const profile = learn(i.profile, i.features, learnedAt, 'observed', {
          learning: i.policy.learning,
          afterFailures,
        });
        const after = knownSightingsOf(profile, keys, i.now, trustDays);
        for (const level of Object.keys(before) as (keyof typeof before)[]) {
          if (before[level] === undefined) expect(after[level]).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('learning from unverified contexts never changes a later evaluation', () => {
    fc.assert(
      fc.property(inputArb, featuresArb, (i, attempt) => {
        const profile = learn(i.profile, attempt, NOW - MIN, 'unverified');
        const a = evaluate(i);
        // Also: a profile holding only unverified sightings is no better than no profile at all.
        const b = evaluate({ ...i, profile });
        expect(b).toEqual(a);
        expect(profile.trustedEvents).toBe(i.profile?.trustedEvents ?? 0);
      }),
      RUNS,
    );
  });
});
