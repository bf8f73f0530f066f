import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { contextKeys } from '../../../lambdas/core/risk/context-keys';
import { buildSignalContext } from '../../../lambdas/core/risk/engine';
import {
  familiaritySignals,
  freemanLikelihoodRatio,
  freemanScore,
  ratioPoints,
  type FreemanLevel,
} from '../../../lambdas/core/risk/signals/familiarity';
import type { GlobalStats } from '../../../lambdas/core/risk/types';
import { HOME, TOKYO_GEO, ZERO_GLOBAL, input, trustedProfile, withDevice } from './fixtures';

const fam = defaultPolicy.weights.familiarity;
const STRANGER = {
  ...HOME,
  ip: '106.72.0.9',
  geo: TOKYO_GEO,
  device: { ...HOME.device, uaFamily: 'Firefox', browserMajor: '99', os: 'Linux', deviceType: 'mobile', uaKey: 'ff' },
};

describe('freemanLikelihoodRatio', () => {
  const level = (userCount: number, globalCount: number, weight: number): FreemanLevel => ({
    userCount,
    globalCount,
    weight,
  });

  it('is 1 for a user without history (no evidence either way)', () => {
    expect(freemanLikelihoodRatio([level(0, 10, 0.6), level(0, 50, 0.4)], 0, 1000, 1)).toBeCloseTo(1, 12);
  });

  it('is (N + s) / s for a context never seen at any level', () => {
    for (const n of [1, 5, 20, 100]) {
      expect(freemanLikelihoodRatio([level(0, 3, 0.6), level(0, 9, 0.3), level(0, 0, 0.1)], n, 1000, 1)).toBeCloseTo(
        n + 1,
        9,
      );
    }
  });

  it('is far below 1 for the context a user always uses', () => {
    const r = freemanLikelihoodRatio([level(20, 20, 0.6), level(20, 400, 0.3), level(20, 9000, 0.1)], 20, 10_000, 1);
    expect(r).toBeLessThan(0.01);
  });

  it('treats a shared rare network as stronger evidence than a shared common one', () => {
    const rare = freemanLikelihoodRatio([level(0, 0, 0.6), level(20, 30, 0.3), level(20, 9000, 0.1)], 20, 10_000, 1);
    const common = freemanLikelihoodRatio(
      [level(0, 0, 0.6), level(20, 5000, 0.3), level(20, 9000, 0.1)],
      20,
      10_000,
      1,
    );
    expect(rare).toBeLessThan(common);
  });

  it('normalizes the hierarchy weights', () => {
    const a = freemanLikelihoodRatio([level(3, 10, 0.6), level(5, 50, 0.3), level(9, 100, 0.1)], 10, 1000, 1);
    const b = freemanLikelihoodRatio([level(3, 10, 6), level(5, 50, 3), level(9, 100, 1)], 10, 1000, 1);
    expect(a).toBeCloseTo(b, 12);
  });

  it('never rises when the user has seen a level value more often (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            userCount: fc.nat(50),
            globalCount: fc.nat(10_000),
            weight: fc.double({ min: 0.01, max: 1, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.nat(3),
        fc.nat(10),
        fc.integer({ min: 10_000, max: 100_000 }),
        (levels, which, more, total) => {
          const n = Math.max(...levels.map((l) => l.userCount)) + more;
          const i = which % levels.length;
          const bumped = levels.map((l, j) => (j === i ? { ...l, userCount: l.userCount + more } : l));
          expect(freemanLikelihoodRatio(bumped, n, total, 1)).toBeLessThanOrEqual(
            freemanLikelihoodRatio(levels, n, total, 1) * (1 + 1e-12),
          );
        },
      ),
    );
  });
});

describe('ratioPoints', () => {
  it.each([
    [0.001, 0],
    [1, 0],
    [10, 10],
    [21, 13],
    [100, 20],
    [1e9, 20],
    [Number.NaN, 0],
  ])('LR %d → %d points', (ratio, points) => {
    expect(ratioPoints(ratio, fam)).toBe(points);
  });
});

describe('freemanScore', () => {
  it('gives a fully familiar context ~0 points, with or without population data', () => {
    const profile = trustedProfile(20);
    const keys = contextKeys(HOME);
    const populated: GlobalStats = {
      total: 100_000,
      ip: 20,
      prefix: 60,
      asn: 9_000,
      country: 60_000,
      ua: 400,
      browser: 30_000,
      os: 50_000,
      deviceType: 70_000,
    };
    for (const global of [ZERO_GLOBAL, populated]) {
      const s = freemanScore(profile, keys, global, fam);
      expect(s.ip.points).toBe(0);
      expect(s.ua.points).toBe(0);
      expect(s.ratio).toBeLessThanOrEqual(1);
    }
  });

  it('gives a stranger the cap-limited maximum for the history length', () => {
    const s = freemanScore(trustedProfile(20), contextKeys(STRANGER), ZERO_GLOBAL, fam);
    expect(s.ip.ratio).toBeCloseTo(21, 9);
    expect(s.ua.ratio).toBeCloseTo(21, 9);
    expect(s.ip.points).toBe(13);
    expect(s.ratio).toBeCloseTo(441, 6);
  });

  it('scores a new IP in a known network lower than a new network', () => {
    const profile = trustedProfile(20);
    const sameNet = freemanScore(profile, contextKeys({ ...HOME, ip: '81.167.144.99' }), ZERO_GLOBAL, fam);
    const otherNet = freemanScore(
      profile,
      contextKeys({ ...HOME, ip: '81.168.1.1', geo: { ...HOME.geo, asn: 'AS1', prefix: '81.168.1.0/24' } }),
      ZERO_GLOBAL,
      fam,
    );
    expect(sameNet.ip.points).toBeGreaterThan(0);
    expect(sameNet.ip.points).toBeLessThan(otherNet.ip.points);
  });

  it('falls back to the prefix level when no ASN is known', () => {
    const noAsn = { ...HOME, geo: { ...HOME.geo, asn: undefined } };
    const profile = trustedProfile(20, noAsn);
    const s = freemanScore(profile, contextKeys({ ...noAsn, ip: '81.167.144.200' }), ZERO_GLOBAL, fam);
    expect(s.ip.levels[1]?.userCount).toBe(20);
  });

  it('is usable without a profile (offline evaluation of a first login)', () => {
    const s = freemanScore(undefined, contextKeys(HOME), ZERO_GLOBAL, fam);
    expect(s.ratio).toBeCloseTo(1, 12);
  });
});

describe('familiarity signals', () => {
  it('says nothing about a familiar context', () => {
    expect(familiaritySignals(buildSignalContext(input()))).toEqual([]);
  });

  it('explains the likelihood ratio for an unfamiliar one', () => {
    const reasons = familiaritySignals(buildSignalContext(input({ features: STRANGER })));
    expect(reasons).toEqual([
      {
        code: 'familiarity.ip',
        points: 13,
        detail: 'likelihood ratio 21.0 over 20 trusted sessions (IP new, ASN new, country new)',
      },
      {
        code: 'familiarity.ua',
        points: 13,
        detail: 'likelihood ratio 21.0 over 20 trusted sessions (UA new, browser new, OS new, device type new)',
      },
    ]);
  });

  it('is silent for users without history (the new-user rule covers them)', () => {
    expect(familiaritySignals(buildSignalContext(input({ profile: undefined, features: STRANGER })))).toEqual([]);
  });

  it('weighs a changed UA string on a known browser and OS only lightly', () => {
    const reasons = familiaritySignals(buildSignalContext(input({ features: withDevice({ uaKey: 'chrome-120-x' }) })));
    const ua = reasons.find((r) => r.code === 'familiarity.ua');
    expect(ua?.points ?? 0).toBeLessThan(10);
  });
});
