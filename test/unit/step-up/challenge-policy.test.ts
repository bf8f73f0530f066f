import fc from 'fast-check';
import {
  CODE_TTL_MS,
  EMPTY_USER_FAILURE_BUDGET,
  MAX_RESENDS_PER_STEP_UP,
  MAX_TRIES_PER_CHALLENGE,
  RESEND_MIN_INTERVAL_MS,
  USER_FAILURE_BUDGET,
  assessAttempt,
  assessResend,
  isStepUpMethod,
  isUserLocked,
  newChallengeState,
  recordUserFailure,
  userLockedUntil,
  type ChallengeState,
  type UserFailureBudgetState,
} from '../../../lambdas/core/step-up/challenge-policy';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function challenge(overrides: Partial<ChallengeState> = {}, now = T0): ChallengeState {
  return {
    ...newChallengeState(
      { challengeId: 'ch-1', userId: 'alice', stepUpId: 'su-1', method: 'email_otp', codeHash: 'a'.repeat(64) },
      now,
    ),
    ...overrides,
  };
}

function budgetWith(failures: number, windowStartedAt = T0): UserFailureBudgetState {
  return { failures, windowStartedAt };
}

describe('constants', () => {
  it('match DESIGN §5', () => {
    expect(CODE_TTL_MS).toBeLessThanOrEqual(5 * 60_000);
    expect(CODE_TTL_MS).toBe(300_000);
    expect(MAX_TRIES_PER_CHALLENGE).toBe(3);
    expect(USER_FAILURE_BUDGET).toEqual({ maxFailures: 10, windowMs: 3_600_000 });
    expect(RESEND_MIN_INTERVAL_MS).toBe(30_000);
    expect(MAX_RESENDS_PER_STEP_UP).toBeGreaterThan(0);
  });

  it('knows the three methods', () => {
    expect(['email_otp', 'sms_otp', 'totp'].every(isStepUpMethod)).toBe(true);
    expect(isStepUpMethod('push')).toBe(false);
    expect(isStepUpMethod(undefined)).toBe(false);
  });
});

describe('newChallengeState', () => {
  it('derives the expiry from the TTL and starts with no tries', () => {
    const c = challenge();
    expect(c.createdAt).toBe(T0);
    expect(c.expiresAt).toBe(T0 + CODE_TTL_MS);
    expect(c.tries).toBe(0);
    expect(c.usedAt).toBeUndefined();
  });

  it('has no code hash for TOTP', () => {
    const c = newChallengeState({ challengeId: 'c', userId: 'u', stepUpId: 's', method: 'totp' }, T0);
    expect('codeHash' in c).toBe(false);
  });
});

describe('assessAttempt', () => {
  it('allows a fresh challenge', () => {
    expect(assessAttempt(challenge(), EMPTY_USER_FAILURE_BUDGET, T0 + 1)).toEqual({ allowed: true });
  });

  it('refuses an expired challenge, from the expiry instant on', () => {
    const c = challenge();
    expect(assessAttempt(c, EMPTY_USER_FAILURE_BUDGET, c.expiresAt - 1)).toEqual({ allowed: true });
    expect(assessAttempt(c, EMPTY_USER_FAILURE_BUDGET, c.expiresAt)).toEqual({ allowed: false, reason: 'expired' });
    expect(assessAttempt(c, EMPTY_USER_FAILURE_BUDGET, c.expiresAt + 60_000)).toEqual({
      allowed: false,
      reason: 'expired',
    });
  });

  it('refuses a used challenge (single use)', () => {
    expect(assessAttempt(challenge({ usedAt: T0 + 5 }), EMPTY_USER_FAILURE_BUDGET, T0 + 10)).toEqual({
      allowed: false,
      reason: 'used',
    });
  });

  it('refuses the fourth try', () => {
    expect(assessAttempt(challenge({ tries: 2 }), EMPTY_USER_FAILURE_BUDGET, T0)).toEqual({ allowed: true });
    expect(assessAttempt(challenge({ tries: 3 }), EMPTY_USER_FAILURE_BUDGET, T0)).toEqual({
      allowed: false,
      reason: 'too_many_tries',
    });
    expect(assessAttempt(challenge({ tries: 99 }), EMPTY_USER_FAILURE_BUDGET, T0)).toEqual({
      allowed: false,
      reason: 'too_many_tries',
    });
  });

  it('refuses when the user budget is spent, until the window ends', () => {
    const spent = budgetWith(10, T0 - 1000);
    expect(assessAttempt(challenge(), spent, T0)).toEqual({ allowed: false, reason: 'user_locked' });
    expect(assessAttempt(challenge(), budgetWith(9, T0 - 1000), T0)).toEqual({ allowed: true });
    const later = T0 - 1000 + USER_FAILURE_BUDGET.windowMs;
    expect(assessAttempt(challenge({}, later), spent, later)).toEqual({ allowed: true });
  });

  it('reports the most specific reason first (used, expired, tries, lock)', () => {
    const everythingWrong = challenge({ usedAt: T0, tries: 5, expiresAt: T0 });
    expect(assessAttempt(everythingWrong, budgetWith(10), T0 + 1)).toEqual({ allowed: false, reason: 'used' });
    expect(assessAttempt({ ...everythingWrong, usedAt: undefined }, budgetWith(10), T0 + 1)).toEqual({
      allowed: false,
      reason: 'expired',
    });
  });

  it('fails closed on corrupt numbers', () => {
    expect(assessAttempt(challenge({ expiresAt: Number.NaN }), EMPTY_USER_FAILURE_BUDGET, T0)).toMatchObject({
      allowed: false,
    });
    expect(assessAttempt(challenge({ tries: Number.NaN }), EMPTY_USER_FAILURE_BUDGET, T0)).toMatchObject({
      allowed: false,
    });
    expect(assessAttempt(challenge(), { failures: Number.NaN, windowStartedAt: T0 }, T0)).toMatchObject({
      allowed: false,
    });
    expect(assessAttempt(challenge(), { failures: 10, windowStartedAt: Number.NaN }, T0)).toMatchObject({
      allowed: false,
    });
  });
});

describe('user failure budget', () => {
  it('starts a window at the first failure and counts within it', () => {
    let b: UserFailureBudgetState = EMPTY_USER_FAILURE_BUDGET;
    b = recordUserFailure(b, T0);
    expect(b).toEqual({ failures: 1, windowStartedAt: T0 });
    b = recordUserFailure(b, T0 + 10_000);
    expect(b).toEqual({ failures: 2, windowStartedAt: T0 });
  });

  it('restarts the count once the window has passed', () => {
    const b = recordUserFailure(budgetWith(10, T0), T0 + USER_FAILURE_BUDGET.windowMs);
    expect(b).toEqual({ failures: 1, windowStartedAt: T0 + USER_FAILURE_BUDGET.windowMs });
  });

  it('locks at maxFailures and says until when', () => {
    expect(isUserLocked(budgetWith(9), T0)).toBe(false);
    expect(isUserLocked(budgetWith(10), T0)).toBe(true);
    expect(userLockedUntil(budgetWith(10), T0)).toBe(T0 + USER_FAILURE_BUDGET.windowMs);
    expect(userLockedUntil(budgetWith(9), T0)).toBeUndefined();
    expect(isUserLocked(EMPTY_USER_FAILURE_BUDGET, T0)).toBe(false);
  });

  it('resending does not reset it: a fresh challenge with the same budget stays locked', () => {
    let budget: UserFailureBudgetState = EMPTY_USER_FAILURE_BUDGET;
    let now = T0;
    let c = challenge({}, now);
    let failures = 0;
    // Exhaust challenges one after another (each resend gives fresh tries), failing every guess.
    for (let round = 0; round < 5 && !isUserLocked(budget, now); round += 1) {
      while (assessAttempt(c, budget, now).allowed) {
        c = { ...c, tries: c.tries + 1 };
        budget = recordUserFailure(budget, now);
        failures += 1;
        now += 1000;
      }
      now += RESEND_MIN_INTERVAL_MS;
      c = newChallengeState(
        { challengeId: `ch-${round + 2}`, userId: 'alice', stepUpId: 'su-1', method: 'email_otp' },
        now,
      );
    }
    expect(failures).toBe(USER_FAILURE_BUDGET.maxFailures);
    expect(c.tries).toBe(0);
    expect(assessAttempt(c, budget, now)).toEqual({ allowed: false, reason: 'user_locked' });
  });

  it('property: within one window no sequence of guesses, resends and waits gets more than maxFailures wrong guesses', () => {
    type Action = { kind: 'guess' } | { kind: 'resend' } | { kind: 'wait'; ms: number };
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.constant<Action>({ kind: 'guess' }),
      fc.constant<Action>({ kind: 'resend' }),
      fc.integer({ min: 1, max: 120_000 }).map<Action>((ms) => ({ kind: 'wait', ms })),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 200 }), (actions) => {
        let now = T0;
        let budget: UserFailureBudgetState = EMPTY_USER_FAILURE_BUDGET;
        let resend = { resends: 0, lastSentAt: now as number | undefined };
        let c = challenge({}, now);
        let wrong = 0;
        let n = 0;
        for (const a of actions) {
          if (a.kind === 'wait') now += a.ms;
          if (now - T0 >= USER_FAILURE_BUDGET.windowMs) break;
          if (a.kind === 'guess' && assessAttempt(c, budget, now).allowed) {
            c = { ...c, tries: c.tries + 1 };
            budget = recordUserFailure(budget, now);
            wrong += 1;
          }
          if (a.kind === 'resend' && assessResend(resend, now).allowed) {
            resend = { resends: resend.resends + 1, lastSentAt: now };
            n += 1;
            c = newChallengeState(
              { challengeId: `ch-${n}`, userId: 'alice', stepUpId: 'su-1', method: 'sms_otp' },
              now,
            );
          }
        }
        expect(wrong).toBeLessThanOrEqual(USER_FAILURE_BUDGET.maxFailures);
        expect(n).toBeLessThanOrEqual(MAX_RESENDS_PER_STEP_UP);
      }),
    );
  });
});

describe('assessResend', () => {
  it('always allows the first send', () => {
    expect(assessResend({ resends: 0 }, T0)).toEqual({ allowed: true });
  });

  it('enforces the minimum interval and says how long to wait', () => {
    expect(assessResend({ resends: 0, lastSentAt: T0 }, T0 + 10_000)).toEqual({
      allowed: false,
      reason: 'too_soon',
      retryAfterMs: RESEND_MIN_INTERVAL_MS - 10_000,
    });
    expect(assessResend({ resends: 0, lastSentAt: T0 }, T0 + RESEND_MIN_INTERVAL_MS)).toEqual({ allowed: true });
  });

  it('caps resends per step-up', () => {
    expect(assessResend({ resends: MAX_RESENDS_PER_STEP_UP - 1, lastSentAt: T0 }, T0 + 60_000)).toEqual({
      allowed: true,
    });
    expect(assessResend({ resends: MAX_RESENDS_PER_STEP_UP, lastSentAt: T0 }, T0 + 60_000)).toEqual({
      allowed: false,
      reason: 'too_many_resends',
    });
  });

  it('fails closed on corrupt numbers', () => {
    expect(assessResend({ resends: Number.NaN, lastSentAt: T0 }, T0 + 60_000)).toMatchObject({ allowed: false });
    expect(assessResend({ resends: 0, lastSentAt: Number.NaN }, T0 + 60_000)).toMatchObject({
      allowed: false,
      retryAfterMs: RESEND_MIN_INTERVAL_MS,
    });
  });
});
