import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import {
  FAIL_MODES,
  SENSITIVITY_LEVELS,
  STEP_UP_METHODS,
  type Policy,
  type SensitivityLevel,
} from '../../../lambdas/core/policy/policy-schema';
import { weakeningChanges } from '../../../lambdas/core/policy/weakening';

type Edit = (p: Policy) => void;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A policy with something in every list and every switch on, so that each kind of edit has room both ways. */
const RICH: Policy = (() => {
  const p = structuredClone(defaultPolicy);
  p.lists = { allow: ['81.167.144.0/24', '2001:db8:1::/48'], deny: ['198.51.100.0/24', '2001:db8:bad::/48'] };
  p.approval = { required: true };
  p.privacy = { hashIdentifiers: true };
  return p;
})();
const BASES = [defaultPolicy, RICH];

const level = fc.constantFrom(...SENSITIVITY_LEVELS);
const step = fc.integer({ min: 1, max: 50 });
const actionName = fc.constantFrom(...Object.keys(defaultPolicy.actions));
const numericWeight = fc.constantFrom(
  ...(['device', 'geo'] as const).flatMap((group) =>
    Object.keys(defaultPolicy.weights[group]).map((key) => [group, key] as const),
  ),
);
const evidenceWeight = fc.constantFrom(
  ...(['network', 'address', 'rareNetwork', 'country', 'place', 'userAgent', 'device', 'hour'] as const),
  ...(['travel', 'dormancy', 'failedBefore'] as const),
);
const velocityRule = fc.constantFrom(...(Object.keys(defaultPolicy.weights.velocity) as ['userBurst']));
const rank = (l: SensitivityLevel) => SENSITIVITY_LEVELS.indexOf(l);
const weights = (p: Policy, group: 'device' | 'geo') => p.weights[group] as Record<string, number | undefined>;

/** Edits that only strengthen protection, or are neutral (descriptions, new actions, narrow allow entries). */
const strengthening: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(level, step).map(
    ([l, k]): Edit =>
      (p) =>
        void (p.levels[l].stepUpAt = Math.max(0, p.levels[l].stepUpAt - k)),
  ),
  fc.tuple(level, step).map(
    ([l, k]): Edit =>
      (p) =>
        void (p.levels[l].denyAt = Math.max(0, p.levels[l].denyAt - k)),
  ),
  fc.tuple(level, step).map(
    ([l, k]): Edit =>
      (p) =>
        void (p.levels[l].maxAgeSeconds = Math.max(0, p.levels[l].maxAgeSeconds - k * 10)),
  ),
  level.map((l): Edit => (p) => {
    if (p.levels[l].methods.length > 1) p.levels[l].methods = p.levels[l].methods.slice(1);
  }),
  fc.tuple(actionName, fc.integer({ min: 1, max: 4 })).map(([name, up]): Edit => (p) => {
    const current = p.actions[name]!.level;
    p.actions[name] = { ...p.actions[name], level: SENSITIVITY_LEVELS[Math.min(4, rank(current) + up)]! };
  }),
  fc.constantFrom('report.download', 'account.close').map((name): Edit => (p) => {
    p.actions[name] = { level: 'medium' };
  }),
  fc.tuple(numericWeight, step).map(([[group, key], k]): Edit => (p) => {
    const w = weights(p, group);
    w[key] = (w[key] ?? 0) + k;
  }),
  fc.tuple(evidenceWeight, step).map(
    ([key, k]): Edit =>
      (p) =>
        void (p.weights.evidence[key] += k / 10),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.evidence.maxPoints += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.evidence.pointsPerDecade += k),
  ),
  fc.constantFrom(0.05, 0.5).map((share): Edit => (p) => {
    p.weights.evidence.ordinaryNetworkShare = Math.max(p.weights.evidence.ordinaryNetworkShare, share);
  }),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.sequence.networkSwitch.withinMinutes += k),
  ),
  fc.tuple(velocityRule, step).map(
    ([rule, k]): Edit =>
      (p) =>
        void (p.weights.velocity[rule].points += k),
  ),
  fc.tuple(velocityRule, step).map(([rule, k]): Edit => (p) => {
    const r = p.weights.velocity[rule];
    r.threshold = Math.max(1, r.threshold - k);
  }),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.newUser.points += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.newUser.historyBelow += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.ipReputation.attackIp += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.lists.allowlisted = Math.min(0, p.weights.lists.allowlisted + k)),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.weights.lists.denylisted += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.geo.impossibleTravelKmh = Math.max(1, p.geo.impossibleTravelKmh - k * 10)),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.geo.minDistanceKm = Math.max(0, p.geo.minDistanceKm - k)),
  ),
  fc.constant<Edit>((p) => void (p.lists.allow = p.lists.allow.slice(1))),
  fc.constantFrom('203.0.113.0/24', '203.0.113.7', '2001:db8:7::/48').map((e): Edit => (p) => {
    p.lists.allow = [...p.lists.allow, e];
  }),
  fc.constantFrom('192.0.2.0/24', '0.0.0.0/0', '::/0').map((e): Edit => (p) => {
    p.lists.deny = [...p.lists.deny, e];
  }),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.learning.trustBelowScore = Math.max(0, p.learning.trustBelowScore - k)),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.retention.riskHistoryDays += k),
  ),
  step.map(
    (k): Edit =>
      (p) =>
        void (p.retention.auditDays += k),
  ),
  level.map((l): Edit => (p) => {
    (p.failMode as Mutable<Policy['failMode']>)[l] = 'deny';
  }),
  fc.constant<Edit>((p) => void (p.approval = { required: true })),
  fc.constant<Edit>((p) => void (p.privacy = { hashIdentifiers: true })),
  fc.constant<Edit>((p) => void (p.authenticators = { firstWithoutStepUp: 'never' })),
  fc.string({ maxLength: 20 }).map(
    (d): Edit =>
      (p) =>
        void (p.description = d),
  ),
);

/** One edit that weakens protection, and the path the classifier must name. */
const weakening: fc.Arbitrary<{ edit: Edit; path: string }> = fc.oneof(
  fc
    .tuple(level, step)
    .map(([l, k]) => ({ edit: (p: Policy) => void (p.levels[l].stepUpAt += k), path: `levels.${l}.stepUpAt` })),
  fc
    .tuple(level, step)
    .map(([l, k]) => ({ edit: (p: Policy) => void (p.levels[l].denyAt += k), path: `levels.${l}.denyAt` })),
  fc.tuple(level, step).map(([l, k]) => ({
    edit: (p: Policy) => void (p.levels[l].maxAgeSeconds += k),
    path: `levels.${l}.maxAgeSeconds`,
  })),
  fc.constantFrom<SensitivityLevel>('high', 'critical').map((l) => ({
    edit: (p: Policy) => void (p.levels[l].methods = [...STEP_UP_METHODS]),
    path: `levels.${l}.methods`,
  })),
  level.map((l) => ({ edit: (p: Policy) => void (p.levels[l].acr = 'urn:weaker'), path: `levels.${l}.acr` })),
  fc
    .tuple(
      fc.constantFrom(...Object.keys(defaultPolicy.actions).filter((a) => defaultPolicy.actions[a]!.level !== 'none')),
      fc.nat(),
    )
    .map(([name, n]) => ({
      edit: (p: Policy) => {
        const below = SENSITIVITY_LEVELS.slice(0, rank(p.actions[name]!.level));
        p.actions[name] = { level: below[n % below.length]! };
      },
      path: `actions.${name}.level`,
    })),
  actionName.map((name) => ({
    edit: (p: Policy) => void delete (p.actions as Record<string, unknown>)[name],
    path: `actions.${name}`,
  })),
  fc
    .tuple(
      numericWeight.filter(([g, k]) => (weights(defaultPolicy, g)[k] ?? 0) > 0),
      fc.double({ min: 0, max: 0.99, noNaN: true }),
    )
    .map(([[group, key], f]) => ({
      edit: (p: Policy) => {
        const w = weights(p, group);
        w[key] = Math.floor((w[key] ?? 0) * f);
      },
      path: `weights.${group}.${key}`,
    })),
  step.map((k) => ({
    edit: (p: Policy) => void (p.weights.lists.allowlisted = Math.max(-100, p.weights.lists.allowlisted - k)),
    path: 'weights.lists.allowlisted',
  })),
  fc.tuple(velocityRule, step).map(([rule, k]) => ({
    edit: (p: Policy) => void (p.weights.velocity[rule].threshold += k),
    path: `weights.velocity.${rule}.threshold`,
  })),
  velocityRule.map((rule) => ({
    edit: (p: Policy) => void (p.weights.velocity[rule].points = 0),
    path: `weights.velocity.${rule}.points`,
  })),
  fc.constant({
    edit: (p: Policy) => void (p.weights.evidence.maxPoints = 0),
    path: 'weights.evidence.maxPoints',
  }),
  evidenceWeight.map((key) => ({
    edit: (p: Policy) => void (p.weights.evidence[key] = 0),
    path: `weights.evidence.${key}`,
  })),
  fc.constant({
    edit: (p: Policy) => void (p.weights.evidence.ordinaryNetworkShare /= 2),
    path: 'weights.evidence.ordinaryNetworkShare',
  }),
  fc.constant({
    edit: (p: Policy) => void (p.weights.evidence.priorLogins += 1),
    path: 'weights.evidence.priorLogins',
  }),
  fc.constant({
    edit: (p: Policy) => void (p.weights.sequence.networkSwitch.points = 0),
    path: 'weights.sequence.networkSwitch.points',
  }),
  fc.constant({ edit: (p: Policy) => void (p.weights.newUser.historyBelow = 0), path: 'weights.newUser.historyBelow' }),
  fc.constant({
    edit: (p: Policy) => void (p.weights.ipReputation.attackIp = 0),
    path: 'weights.ipReputation.attackIp',
  }),
  step.map((k) => ({ edit: (p: Policy) => void (p.geo.impossibleTravelKmh += k), path: 'geo.impossibleTravelKmh' })),
  step.map((k) => ({ edit: (p: Policy) => void (p.geo.minDistanceKm += k), path: 'geo.minDistanceKm' })),
  fc.constantFrom('10.20.0.0/16', '100.64.0.0/23', '2001:db8::/40', '::ffff:10.0.0.0/112').map((e) => ({
    edit: (p: Policy) => void (p.lists.allow = [...p.lists.allow, e]),
    path: `lists.allow.${RICH.lists.allow.length}`,
  })),
  fc.constant({ edit: (p: Policy) => void (p.lists.deny = p.lists.deny.slice(1)), path: 'lists.deny.0' }),
  step.map((k) => ({ edit: (p: Policy) => void (p.learning.trustBelowScore += k), path: 'learning.trustBelowScore' })),
  fc.constantFrom('riskHistoryDays', 'auditDays' as const).map((field) => ({
    edit: (p: Policy) => void (p.retention[field] -= 1),
    path: `retention.${field}`,
  })),
  fc.constantFrom<SensitivityLevel>('medium', 'high', 'critical').map((l) => ({
    edit: (p: Policy) => {
      // Relaxing past what the schema accepts (medium to allow) still has to be caught by the classifier.
      const modes = p.failMode as Record<SensitivityLevel, (typeof FAIL_MODES)[number]>;
      modes[l] = FAIL_MODES[FAIL_MODES.indexOf(modes[l]) - 1]!;
    },
    path: `failMode.${l}`,
  })),
  fc.constant({ edit: (p: Policy) => void (p.approval = { required: false }), path: 'approval.required' }),
  fc.constant({ edit: (p: Policy) => void (p.privacy = { hashIdentifiers: false }), path: 'privacy.hashIdentifiers' }),
  fc.constant({
    edit: (p: Policy) => void (p.authenticators = { firstWithoutStepUp: 'no_verified_contact' }),
    path: 'authenticators.firstWithoutStepUp',
  }),
);

describe('weakening classification', () => {
  it('never classifies a change that only strengthens (or is neutral) as weakening', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.array(strengthening, { minLength: 1, maxLength: 12 }),
        (base, edits) => {
          const after = structuredClone(base);
          for (const edit of edits) edit(after);
          expect(weakeningChanges(base, after)).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('classifies any single weakening edit as weakening, naming its path', () => {
    fc.assert(
      fc.property(weakening, ({ edit, path }) => {
        const after = structuredClone(RICH);
        edit(after);
        expect(weakeningChanges(RICH, after).map((w) => w.path)).toContain(path);
      }),
      { numRuns: 2000 },
    );
  });

  it('lists every weakening of the "allow everything" policy, with before and after', () => {
    const p = structuredClone(defaultPolicy);
    p.lists.allow = ['0.0.0.0/0', '::/0'];
    for (const l of SENSITIVITY_LEVELS) Object.assign(p.levels[l], { stepUpAt: 101, denyAt: 101 });
    for (const a of Object.keys(p.actions)) p.actions[a] = { level: 'none' };
    for (const group of ['device', 'geo'] as const)
      for (const k of Object.keys(p.weights[group])) weights(p, group)[k] = 0;
    p.weights.evidence.device = 0;
    const found = weakeningChanges(defaultPolicy, p);
    const byPath = new Map(found.map((w) => [w.path, w]));
    expect(byPath.get('levels.critical.stepUpAt')).toEqual({
      path: 'levels.critical.stepUpAt',
      kind: 'threshold_raised',
      before: 0,
      after: 101,
    });
    expect(byPath.get('actions.mfa.change.level')).toMatchObject({
      kind: 'action_lowered',
      before: 'critical',
      after: 'none',
    });
    expect(byPath.get('lists.allow.0')).toMatchObject({ kind: 'allow_list_broadened', after: '0.0.0.0/0' });
    expect(byPath.get('lists.allow.1')).toMatchObject({ kind: 'allow_list_broadened', after: '::/0' });
    expect(byPath.get('weights.device.bot')).toMatchObject({ kind: 'weight_cut', before: 40, after: 0 });
    expect(byPath.get('weights.evidence.device')).toMatchObject({ kind: 'weight_cut', before: 1, after: 0 });
  });

  it('judges list entries as networks, not as text', () => {
    const p = structuredClone(RICH);
    p.lists.deny = ['198.51.100.0/24', '2001:0db8:0bad::/48'];
    p.lists.allow = ['::ffff:81.167.144.0/120', ...RICH.lists.allow.slice(1)];
    expect(weakeningChanges(RICH, p)).toEqual([]);
  });
});
