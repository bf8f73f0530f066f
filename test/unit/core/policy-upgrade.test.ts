import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { parsePolicy } from '../../../lambdas/core/policy/policy-schema';
import { upgradeStoredPolicy } from '../../../lambdas/core/policy/policy-upgrade';

/** A policy as stored before the evidence model: flat novelty points and the familiarity block. */
function storedBeforeEvidence(): Record<string, unknown> {
  const { evidence: _e, sequence: _s, ...weights } = structuredClone(defaultPolicy.weights);
  const { ipFailedSignIns: _f, ...velocity } = weights.velocity;
  return {
    ...structuredClone(defaultPolicy),
    version: 7,
    levels: {
      ...structuredClone(defaultPolicy.levels),
      low: { ...defaultPolicy.levels.low, stepUpAt: 35 },
      medium: { ...defaultPolicy.levels.medium, stepUpAt: 35, denyAt: 95 },
      high: { ...defaultPolicy.levels.high, denyAt: 90 },
      critical: { ...defaultPolicy.levels.critical, denyAt: 85 },
    },
    lists: { allow: ['81.167.144.0/24'], deny: ['198.51.100.0/24'] },
    weights: {
      ...weights,
      velocity,
      device: { newDevice: 25, uaChanged: 10, bot: 40, headless: 30, cli: 20, uaMissing: 20 },
      geo: {
        newCountry: 15,
        newRegion: 5,
        newCity: 5,
        newNetwork: 25,
        impossibleTravel: 40,
        privateIp: 5,
        unknownLocation: 10,
      },
      familiarity: {
        maxPoints: 20,
        pointsPerDecade: 10,
        smoothing: 1,
        ip: { ip: 0.6, asn: 0.3, country: 0.1 },
        ua: { ua: 0.5387, browser: 0.268, os: 0.1882, deviceType: 0.0051 },
      },
    },
    learning: { trustBelowScore: 35 },
  };
}

describe('stored policies written before the evidence model', () => {
  it('are refused by the schema as they are', () => {
    expect(parsePolicy(storedBeforeEvidence()).ok).toBe(false);
  });

  it('upgrade to a valid policy that keeps every threshold, list and rule, with the default evidence weights', () => {
    const parsed = parsePolicy(upgradeStoredPolicy(storedBeforeEvidence()));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const p = parsed.policy;
    expect(p.version).toBe(7);
    expect([p.levels.low.stepUpAt, p.levels.high.denyAt]).toEqual([35, 90]);
    expect(p.lists).toEqual({ allow: ['81.167.144.0/24'], deny: ['198.51.100.0/24'] });
    expect(p.weights.geo).toEqual({ privateIp: 5, unknownLocation: 10 });
    expect(p.weights.device).toEqual({ bot: 40, headless: 30, cli: 20, uaMissing: 20 });
    expect(p.weights.evidence).toEqual(defaultPolicy.weights.evidence);
    expect(p.weights.velocity.ipFailedSignIns).toEqual(defaultPolicy.weights.velocity.ipFailedSignIns);
    expect(p.learning).toMatchObject({ trustBelowScore: 35, confirmDays: 2 });
  });

  it('leave a current document, or anything that is not a policy, as it is', () => {
    expect(upgradeStoredPolicy(defaultPolicy)).toBe(defaultPolicy);
    expect(upgradeStoredPolicy('x')).toBe('x');
    expect(upgradeStoredPolicy({ weights: [] })).toEqual({ weights: [] });
  });
});
