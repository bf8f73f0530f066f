/**
 * Limits for one-time-code challenges, as numbers and pure checks.
 *
 * The DynamoDB adapter enforces these atomically with conditional writes; the functions here are the reference
 * semantics those conditions must implement, so both sides import the same constants. Every check is written as
 * "the condition that must hold to proceed", and a value that is missing or NaN fails it, so corrupted state
 * refuses rather than allows.
 */

export const STEP_UP_METHODS = ['email_otp', 'sms_otp', 'totp'] as const;
export type StepUpMethod = (typeof STEP_UP_METHODS)[number];

export function isStepUpMethod(value: unknown): value is StepUpMethod {
  return typeof value === 'string' && (STEP_UP_METHODS as readonly string[]).includes(value);
}

/** A code expires in at most five minutes: long enough to read an e-mail, short enough to limit a stolen code. */
export const CODE_TTL_MS = 5 * 60_000;

/**
 * Attempts (right or wrong) allowed against one challenge. Also the maximum number of CODE rounds Define Auth
 * Challenge allows in one Cognito session, since every round in a session answers the same challenge.
 */
export const MAX_TRIES_PER_CHALLENGE = 3;

/**
 * Failures allowed per user across all challenges in a fixed window that starts at the first failure. Resending a
 * code creates a new challenge with fresh `tries` but never touches this budget, so resend-and-retry cannot turn
 * 3 guesses per challenge into unlimited guesses per user.
 */
export const USER_FAILURE_BUDGET = { maxFailures: 10, windowMs: 60 * 60_000 } as const;

/** A new code for the same step-up is sent at most this often... */
export const RESEND_MIN_INTERVAL_MS = 30_000;
/** ...and at most this many times after the first one (so at most 1 + 3 codes per step-up). */
export const MAX_RESENDS_PER_STEP_UP = 3;

export type ChallengeState = {
  challengeId: string;
  userId: string;
  stepUpId: string;
  method: StepUpMethod;
  /** HMAC of the code (see otp-code.ts); absent for TOTP, whose secret lives with the user's enrolment. */
  codeHash?: string;
  createdAt: number;
  expiresAt: number;
  /** Attempts made so far, counted before the answer is compared. */
  tries: number;
  usedAt?: number;
};

/**
 * Per-user failure counter. `windowStartedAt` is absent until the first failure. The adapter stores it as one item
 * per user; the whole state is two numbers so it fits a single conditional UpdateItem.
 */
export type UserFailureBudgetState = {
  failures: number;
  windowStartedAt?: number;
};

export const EMPTY_USER_FAILURE_BUDGET: Readonly<UserFailureBudgetState> = Object.freeze({ failures: 0 });

export type AttemptRefusal = 'expired' | 'used' | 'too_many_tries' | 'user_locked';
export type AttemptAssessment = { allowed: true } | { allowed: false; reason: AttemptRefusal };

export type NewChallengeInput = {
  challengeId: string;
  userId: string;
  stepUpId: string;
  method: StepUpMethod;
  codeHash?: string;
};

/** Builds a challenge whose expiry is derived here, so no caller can create a code that lives longer than the TTL. */
export function newChallengeState(input: NewChallengeInput, now: number): ChallengeState {
  const state: ChallengeState = {
    challengeId: input.challengeId,
    userId: input.userId,
    stepUpId: input.stepUpId,
    method: input.method,
    createdAt: now,
    expiresAt: now + CODE_TTL_MS,
    tries: 0,
  };
  if (input.codeHash !== undefined) state.codeHash = input.codeHash;
  return state;
}

/**
 * Whether the window that started at `windowStartedAt` still counts at `now`.
 * Adapter condition for "window over": `windowStartedAt <= :now - :windowMs` (or attribute_not_exists).
 */
function budgetWindowActive(budget: UserFailureBudgetState, now: number): boolean {
  if (budget.windowStartedAt === undefined) return false;
  const windowOver = budget.windowStartedAt + USER_FAILURE_BUDGET.windowMs <= now;
  return !windowOver;
}

/**
 * True when the user may not attempt any challenge at `now`.
 * Adapter condition to allow: `failures < :max OR attribute_not_exists(windowStartedAt) OR windowStartedAt <= :now - :windowMs`.
 */
export function isUserLocked(budget: UserFailureBudgetState, now: number): boolean {
  if (!budgetWindowActive(budget, now)) return false;
  return !(budget.failures < USER_FAILURE_BUDGET.maxFailures);
}

/** When the lock (if any) lifts; undefined when not locked. Useful for audit records and support staff. */
export function userLockedUntil(budget: UserFailureBudgetState, now: number): number | undefined {
  if (!isUserLocked(budget, now) || budget.windowStartedAt === undefined) return undefined;
  return budget.windowStartedAt + USER_FAILURE_BUDGET.windowMs;
}

/**
 * The state after one more failure. A window that has run out restarts at this failure; otherwise the count grows.
 * Adapter: `SET failures = failures + :one` when the window is active, else `SET failures = :one, windowStartedAt = :now`
 * (two conditional updates, the second guarded by the "window over" condition).
 */
export function recordUserFailure(budget: UserFailureBudgetState, now: number): UserFailureBudgetState {
  if (!budgetWindowActive(budget, now)) return { failures: 1, windowStartedAt: now };
  const previous = Number.isFinite(budget.failures) ? budget.failures : USER_FAILURE_BUDGET.maxFailures;
  return { failures: previous + 1, windowStartedAt: budget.windowStartedAt };
}

/**
 * Whether one more answer may be checked against `challenge`.
 *
 * Refusals are reported in this order: used, expired, too_many_tries, user_locked. All refuse; the order only
 * picks the most specific reason for the audit record (a used challenge is final whatever else holds).
 *
 * Adapter condition (increment `tries` in the same update):
 * `attribute_not_exists(usedAt) AND expiresAt > :now AND tries < :maxTries` on the challenge, plus
 * `NOT isUserLocked` on the user's budget item (same transaction).
 */
export function assessAttempt(
  challenge: ChallengeState,
  userBudget: UserFailureBudgetState,
  now: number,
): AttemptAssessment {
  if (challenge.usedAt !== undefined) return { allowed: false, reason: 'used' };
  if (!(challenge.expiresAt > now)) return { allowed: false, reason: 'expired' };
  if (!(challenge.tries < MAX_TRIES_PER_CHALLENGE)) return { allowed: false, reason: 'too_many_tries' };
  if (isUserLocked(userBudget, now)) return { allowed: false, reason: 'user_locked' };
  return { allowed: true };
}

/** Per step-up record of sends, kept next to the pending step-up. `lastSentAt` is absent before the first send. */
export type ResendState = {
  resends: number;
  lastSentAt?: number;
};

export type ResendAssessment =
  | { allowed: true }
  | { allowed: false; reason: 'too_soon'; retryAfterMs: number }
  | { allowed: false; reason: 'too_many_resends' };

/**
 * Whether another code may be sent for this step-up. The first send (no `lastSentAt`) is always allowed.
 * Adapter condition: `attribute_not_exists(lastSentAt) OR (resends < :maxResends AND lastSentAt <= :now - :interval)`,
 * then `SET lastSentAt = :now ADD resends :one` (resends counted only when lastSentAt existed).
 */
export function assessResend(state: ResendState, now: number): ResendAssessment {
  if (state.lastSentAt === undefined) return { allowed: true };
  if (!(state.resends < MAX_RESENDS_PER_STEP_UP)) return { allowed: false, reason: 'too_many_resends' };
  const earliest = state.lastSentAt + RESEND_MIN_INTERVAL_MS;
  if (!(earliest <= now)) {
    const wait = earliest - now;
    return { allowed: false, reason: 'too_soon', retryAfterMs: Number.isFinite(wait) ? wait : RESEND_MIN_INTERVAL_MS };
  }
  return { allowed: true };
}
