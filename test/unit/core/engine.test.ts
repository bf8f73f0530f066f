import { UnknownActionError } from '../../../lambdas/core/errors';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { evaluate, riskLevelOf } from '../../../lambdas/core/risk/engine';
import { failClosed } from '../../../lambdas/core/risk/fail-closed';
import { acrSatisfies, grantWindowSeconds } from '../../../lambdas/core/risk/grant';
import { REASON_CODES } from '../../../lambdas/core/risk/reason-codes';
import type { GrantInfo } from '../../../lambdas/core/risk/types';
import { wwwAuthenticate } from '../../../lambdas/core/risk/www-authenticate';
import {
  HOME,
  MIN,
  NOW,
  NY,
  TOKYO_GEO,
  ZERO_VELOCITY,
  codes,
  input,
  policyWith,
  trustedProfile,
  withDevice,
  withGeo,
} from './fixtures';

describe('scenarios with the default policy', () => {
  it('allows a familiar login on payment.transfer, and lets it teach the profile', () => {
    const e = evaluate(input());
    expect(e).toMatchObject({ decision: 'allow', score: 0, riskLevel: 'low', level: 'high', teaches: true });
    expect(codes(e.reasons)).toEqual(['action.sensitivity']);
    expect(e.stepUp).toBeUndefined();
  });

  it('steps up sign-in and denies payment.transfer from a new device on a new network in a new country', () => {
    const features = { ...HOME, ip: '106.72.0.9', deviceId: 'device-new', geo: TOKYO_GEO };
    const signIn = evaluate(input({ action: 'auth.sign_in', features }));
    expect(signIn.decision).toBe('step_up');
    expect(signIn.stepUp).toEqual({
      acr: 'urn:stepgate:acr:otp',
      maxAgeSeconds: 900,
      methods: ['email_otp', 'sms_otp', 'totp'],
    });
    const e = evaluate(input({ features }));
    // Three novelties a stolen password cannot bring along, each rare for this user: beyond the high level's deny.
    expect(e.decision).toBe('deny');
    expect(codes(e.reasons)).toEqual(expect.arrayContaining(['device.new', 'geo.new_country', 'geo.new_network']));
    expect(e.teaches).toBe(false);
    expect(signIn.teaches).toBe(false);
  });

  it('flags New York then Tokyo 10 minutes later as impossible travel', () => {
    const nyHome = withGeo({ country: 'US', region: 'New York', city: 'New York', ...NY });
    const e = evaluate(
      input({
        profile: trustedProfile(20, nyHome, 10 * MIN),
        features: { ...nyHome, ip: '106.72.0.9', geo: TOKYO_GEO },
      }),
    );
    const travel = e.reasons.find((r) => r.code === 'geo.impossible_travel');
    expect(travel).toBeDefined();
    expect(travel?.detail).toMatch(/km in 10 min \(.* km\/h\); such jumps in .* of this user's logins/);
    expect(e.decision).not.toBe('allow');
  });

  it('denies a deny-listed IP even on profile.view (sensitivity none)', () => {
    const policy = policyWith((p) => (p.lists.deny = ['81.167.144.0/24']));
    const e = evaluate(input({ action: 'profile.view', policy }));
    expect(e.decision).toBe('deny');
    expect(codes(e.reasons)).toContain('ip.denylisted');
    expect(e.teaches).toBe(false);
  });

  it('denies a deny-listed IP even with a valid grant', () => {
    const policy = policyWith((p) => (p.lists.deny = ['81.167.144.58']));
    const e = evaluate(input({ policy, grant: grant() }));
    expect(e.decision).toBe('deny');
    expect(e.grantRedeemed).toBe(false);
  });

  it('reports credential stuffing: 40 distinct users from one IP', () => {
    const e = evaluate(input({ action: 'auth.sign_in', velocity: { ...ZERO_VELOCITY, ipDistinctUsers: 40 } }));
    expect(codes(e.reasons)).toContain('velocity.ip_many_users');
    const stuffing = evaluate(
      input({
        action: 'auth.sign_in',
        profile: trustedProfile(20),
        features: { ...HOME, deviceId: undefined, ip: '106.72.0.9', geo: TOKYO_GEO },
        velocity: { ...ZERO_VELOCITY, ipDistinctUsers: 40 },
      }),
    );
    expect(stuffing.decision).not.toBe('allow');
  });

  it.each([
    ['familiar', input({ action: 'admin.production_access' })],
    ['new user', input({ action: 'admin.production_access', profile: undefined })],
    [
      'allow-listed',
      input({ action: 'admin.production_access', policy: policyWith((p) => (p.lists.allow = ['81.167.144.0/24'])) }),
    ],
  ])('always steps up admin.production_access at least (%s)', (_name, i) => {
    const e = evaluate(i);
    expect(e.decision).not.toBe('allow');
    expect(e.stepUp?.maxAgeSeconds ?? 0).toBe(0);
  });

  it('names the new-user rule for a user without profile on auth.sign_in', () => {
    const e = evaluate(input({ action: 'auth.sign_in', profile: undefined }));
    expect(e.reasons).toContainEqual({ code: 'user.new', points: 25, detail: 'no login recorded yet' });
    expect(e.decision).toBe('allow');
    expect(e.teaches).toBe(true);
    expect(evaluate(input({ profile: undefined })).decision).toBe('step_up');
  });

  it('steps a traveller on the usual device up once at sign-in (new country and network), and on payment', () => {
    const trip = { ...HOME, ip: '106.72.0.9', geo: TOKYO_GEO };
    expect(evaluate(input({ action: 'auth.sign_in', features: trip })).decision).toBe('step_up');
    expect(evaluate(input({ features: trip })).decision).toBe('step_up');
  });

  it('steps up a stolen password at sign-in and denies its payment', () => {
    const attacker = {
      ip: '106.72.0.9',
      deviceId: 'attacker',
      geo: TOKYO_GEO,
      device: { ...HOME.device, uaFamily: 'Firefox', os: 'Linux', uaKey: 'ff-linux' },
    };
    expect(evaluate(input({ action: 'auth.sign_in', features: attacker })).decision).toBe('step_up');
    expect(evaluate(input({ features: attacker })).decision).toBe('deny');
  });

  it('lets nothing but the deny list stop profile.view', () => {
    const bot = withDevice({ isBot: true, isHeadless: true, isCli: true }, { ...HOME, geo: TOKYO_GEO });
    const e = evaluate(
      input({
        action: 'profile.view',
        features: bot,
        threat: { attackIp: true },
        velocity: { ...ZERO_VELOCITY, ipDistinctUsers: 99 },
      }),
    );
    expect(e.score).toBe(100);
    expect(e.decision).toBe('allow');
    expect(e.teaches).toBe(false);
  });

  it('adds every reason to the raw score and clamps the score', () => {
    const policy = policyWith((p) => (p.lists.deny = ['81.167.144.58']));
    const e = evaluate(input({ policy, threat: { attackIp: true }, features: withDevice({ isBot: true }) }));
    expect(Math.round(e.rawScore)).toBe(e.reasons.reduce((s, r) => s + r.points, 0));
    expect(e.rawScore).toBeGreaterThan(100);
    expect(e.score).toBe(100);
    const credit = evaluate(input({ policy: policyWith((p) => (p.lists.allow = ['81.167.144.58'])) }));
    expect(credit.rawScore).toBe(-20);
    expect(credit.score).toBe(0);
  });

  it('does not let allow-list credit teach a risky context', () => {
    const policy = policyWith((p) => {
      p.lists.allow = ['106.72.0.0/16'];
      // Only the new country counts, at the cap: 45 points of risk, 25 after the allow-list credit.
      p.weights.evidence.network = 0;
      p.weights.evidence.country = 3;
      p.weights.evidence.maxPoints = 45;
      p.learning.trustBelowScore = 40;
    });
    const e = evaluate(
      input({ action: 'profile.update', policy, features: { ...HOME, ip: '106.72.0.9', geo: TOKYO_GEO } }),
    );
    expect(e.reasons.map((r) => [r.code, r.points])).toEqual([
      ['action.sensitivity', 0],
      ['ip.allowlisted', -20],
      ['geo.new_country', 45],
    ]);
    expect(e.decision).toBe('allow');
    expect(e.score).toBe(25);
    expect(e.teaches).toBe(false);
  });

  it('ranks by the unrounded score while the reasons add up to the rounded one', () => {
    const e = evaluate(input({ features: { ...HOME, deviceId: 'device-new', ip: '81.167.150.9' } }));
    const exact = e.rawScore;
    expect(Number.isInteger(exact)).toBe(false);
    expect(e.reasons.reduce((s, r) => s + r.points, 0)).toBe(Math.round(exact));
    expect(e.score).toBe(Math.round(exact));
  });

  it('uses only known reason codes, in a stable order', () => {
    const e = evaluate(
      input({
        features: withDevice({ isBot: true }, { ...HOME, deviceId: 'x', ip: '106.72.0.9', geo: TOKYO_GEO }),
        threat: { attackIp: true },
        velocity: {
          userRequests: 99,
          ipRequests: 999,
          ipDistinctUsers: 99,
          userFailedStepUps: 9,
          userFailedSignIns: 9,
        },
      }),
    );
    for (const code of codes(e.reasons)) expect(Object.keys(REASON_CODES)).toContain(code);
    expect(codes(e.reasons)[0]).toBe('action.sensitivity');
  });

  it('throws UnknownActionError for an action outside the catalogue', () => {
    expect(() => evaluate(input({ action: 'payment.teleport' }))).toThrow(UnknownActionError);
  });

  it('does not modify its input', () => {
    const i = input({ features: { ...HOME, geo: TOKYO_GEO } });
    const copy = structuredClone(i);
    evaluate(i);
    expect(i).toEqual(copy);
  });

  it.each([
    [0, 'low'],
    [29, 'low'],
    [30, 'medium'],
    [69, 'medium'],
    [70, 'high'],
    [100, 'high'],
  ])('score %d is %s risk', (score, level) => expect(riskLevelOf(score)).toBe(level));
});

function grant(over: Partial<GrantInfo> = {}): GrantInfo {
  return {
    stepUpId: 'su-1',
    userId: 'alice@example.com',
    action: 'payment.transfer',
    acr: 'urn:stepgate:acr:otp',
    grantedAt: NOW - 2 * MIN,
    consumed: false,
    ...over,
  };
}

describe('step-up grants', () => {
  // New device: 25 points, a step-up on a high action.
  const risky = { features: { ...HOME, deviceId: 'device-new' } };

  it('turns a step-up into an allow with step_up.satisfied', () => {
    const e = evaluate(input({ ...risky, grant: grant() }));
    expect(e).toMatchObject({ decision: 'allow', grantRedeemed: true, teaches: false });
    expect(e.reasons.at(-1)).toMatchObject({ code: 'step_up.satisfied', points: 0 });
    expect(e.stepUp).toBeUndefined();
  });

  it.each<[string, Partial<GrantInfo>, Partial<Parameters<typeof input>[0]>?]>([
    ['another user', { userId: 'mallory@example.com' }],
    ['another action', { action: 'data.export' }],
    ['consumed', { consumed: true }],
    ['expired', { grantedAt: NOW - 301_000 }],
    ['dated in the future', { grantedAt: NOW + 5 * MIN }],
    ['too weak an acr', { acr: 'urn:stepgate:acr:password' }],
    ['bound to another device', { deviceId: 'device-home' }],
  ])('ignores a grant for %s', (_name, over) => {
    const e = evaluate(input({ ...risky, grant: grant(over) }));
    expect(e).toMatchObject({ decision: 'step_up', grantRedeemed: false });
    expect(e.reasons.at(-1)?.code).toBe('step_up.grant_invalid');
  });

  it('honours a device-bound grant on that device', () => {
    expect(evaluate(input({ ...risky, grant: grant({ deviceId: 'device-new' }) })).decision).toBe('allow');
  });

  it('ignores a device-bound grant on a request that names no device', () => {
    const e = evaluate(
      input({ features: { ...HOME, deviceId: undefined, geo: TOKYO_GEO }, grant: grant({ deviceId: 'device-new' }) }),
    );
    expect(e).toMatchObject({ decision: 'step_up', grantRedeemed: false });
    expect(e.reasons.at(-1)).toMatchObject({ code: 'step_up.grant_invalid', points: 0 });
  });

  it.each<[string, string | undefined]>([
    ['another session', 'sess-B'],
    ['no session', undefined],
  ])('ignores a session-bound grant redeemed from %s, and the step-up stands', (_name, sessionId) => {
    const e = evaluate(input({ ...risky, ...(sessionId ? { sessionId } : {}), grant: grant({ sessionId: 'sess-A' }) }));
    expect(e).toMatchObject({ decision: 'step_up', grantRedeemed: false });
    expect(e.stepUp).toBeDefined();
    expect(e.reasons.at(-1)).toMatchObject({ code: 'step_up.grant_invalid', points: 0 });
    expect(e.reasons.at(-1)?.detail).toContain('session');
  });

  it('honours a session-bound grant in that session, and an unbound grant in any session', () => {
    expect(evaluate(input({ ...risky, sessionId: 'sess-A', grant: grant({ sessionId: 'sess-A' }) })).decision).toBe(
      'allow',
    );
    expect(evaluate(input({ ...risky, sessionId: 'sess-B', grant: grant() })).decision).toBe('allow');
  });

  it('never turns a deny into an allow', () => {
    const e = evaluate(
      input({ grant: grant(), features: withDevice({ isBot: true }, { ...HOME, geo: TOKYO_GEO, deviceId: 'z' }) }),
    );
    expect(e.decision).toBe('deny');
    expect(e.grantRedeemed).toBe(false);
  });

  it('is not spent on a request that is allowed anyway', () => {
    const e = evaluate(input({ grant: grant() }));
    expect(e).toMatchObject({ decision: 'allow', grantRedeemed: false, teaches: true });
  });

  it('accepts a max-age-0 (critical) grant only within 300 s and only unconsumed', () => {
    const critical = { action: 'admin.production_access' };
    const g = (over: Partial<GrantInfo>) => grant({ action: 'admin.production_access', ...over });
    expect(evaluate(input({ ...critical, grant: g({ grantedAt: NOW - 299_000 }) })).decision).toBe('allow');
    expect(evaluate(input({ ...critical, grant: g({ grantedAt: NOW - 301_000 }) })).decision).toBe('step_up');
    expect(evaluate(input({ ...critical, grant: g({ consumed: true }) })).decision).toBe('step_up');
  });

  it('never gives a more sensitive level a longer grant window than a less sensitive one', () => {
    expect(grantWindowSeconds(defaultPolicy, 'high')).toBe(300);
    expect(grantWindowSeconds(defaultPolicy, 'critical')).toBe(300);
    const policy = policyWith((p) => (p.levels.high.maxAgeSeconds = 60));
    expect(grantWindowSeconds(policy, 'critical')).toBe(60);
    const g = grant({ action: 'admin.production_access', grantedAt: NOW - 120_000 });
    expect(evaluate(input({ policy, action: 'admin.production_access', grant: g })).decision).toBe('step_up');
  });

  it('accepts the acr of a more sensitive level, never of a less sensitive one', () => {
    const policy = policyWith((p) => {
      p.levels.none.acr = p.levels.low.acr = p.levels.medium.acr = 'urn:stepgate:acr:otp';
      p.levels.high.acr = p.levels.critical.acr = 'urn:stepgate:acr:totp';
    });
    expect(acrSatisfies(policy, 'urn:stepgate:acr:totp', 'medium')).toBe(true);
    expect(acrSatisfies(policy, 'urn:stepgate:acr:otp', 'high')).toBe(false);
    expect(acrSatisfies(policy, 'urn:stepgate:acr:otp', 'low')).toBe(true);
  });
});

describe('failClosed', () => {
  it.each(Object.entries(defaultPolicy.actions))(
    '%s follows failMode and never allows medium and above',
    (action, e) => {
      const r = failClosed(defaultPolicy, action);
      expect(r.decision).toBe(defaultPolicy.failMode[e.level]);
      if (['medium', 'high', 'critical'].includes(e.level)) expect(r.decision).not.toBe('allow');
      expect(codes(r.reasons)).toEqual(['action.sensitivity', 'store.unavailable']);
      expect(r.teaches).toBe(false);
      expect(r.stepUp !== undefined).toBe(r.decision === 'step_up');
    },
  );

  it.each(Object.entries(defaultPolicy.actions))(
    '%s, when the decision could not be recorded: never allow, a stricter failMode stands',
    (action, e) => {
      const r = failClosed(defaultPolicy, action, 'unrecorded');
      const failMode = defaultPolicy.failMode[e.level];
      expect(r.decision).toBe(failMode === 'allow' ? 'step_up' : failMode);
      expect(codes(r.reasons)).toEqual(['action.sensitivity', 'decision.unrecorded']);
      expect(r.stepUp !== undefined).toBe(r.decision === 'step_up');
      expect(r.teaches).toBe(false);
    },
  );

  it('throws for unknown actions', () => {
    expect(() => failClosed(defaultPolicy, 'nope.nope')).toThrow(UnknownActionError);
  });
});

describe('wwwAuthenticate', () => {
  it('builds the RFC 9470 challenge', () => {
    expect(wwwAuthenticate({ acr: 'urn:stepgate:acr:otp', maxAgeSeconds: 300 })).toBe(
      'Bearer error="insufficient_user_authentication", ' +
        'error_description="A different authentication level is required", ' +
        'acr_values="urn:stepgate:acr:otp", max_age=300',
    );
  });

  it('keeps max_age=0 for every-time elevation', () => {
    expect(wwwAuthenticate({ acr: 'a', maxAgeSeconds: 0 })).toMatch(/, max_age=0$/);
  });

  it('escapes the description', () => {
    expect(wwwAuthenticate({ acr: 'a', maxAgeSeconds: 5 }, 'say "hi" \\ bye\n')).toContain(
      'error_description="say \\"hi\\" \\\\ bye"',
    );
  });

  it('fits a step_up evaluation directly', () => {
    const e = evaluate(input({ profile: undefined }));
    expect(e.stepUp && wwwAuthenticate(e.stepUp)).toContain('max_age=300');
  });
});
