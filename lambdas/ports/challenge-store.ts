import type { AuditEvent } from '../core/audit/audit-event';
import type {
  AttemptRefusal,
  ChallengeState,
  ResendAssessment,
  StepUpMethod,
  UserFailureBudgetState,
} from '../core/step-up/challenge-policy';
import type { UserProfile } from '../core/risk/types';
import type { StoredStepUp } from './decision-store';

/**
 * Storage of the step-up ceremony: one-time-code challenges, the per-user failure budget, TOTP enrolments and the
 * pending step-up that a passed challenge turns into a grant. Every counter and state change is a conditional
 * write in the adapter, so concurrent (or retried) trigger invocations cannot exceed a limit or grant twice.
 *
 * Two user identifiers appear here. `userId` is the Cognito username the triggers see (`event.userName`): it keys
 * challenges, the failure budget and TOTP enrolments. `subjectId` is the id the app used when it asked the decision
 * API (the step-up's `userId`): grants and profiles are keyed by it, and failed tries feed its velocity counters.
 */

export interface StoredChallenge extends ChallengeState {
  readonly subjectId: string;
  /** Masked destination, shown again when a wrong answer gets another round. */
  readonly destination: string;
}

export type AttemptResult =
  | { readonly ok: true; readonly challenge: StoredChallenge }
  /** `busy`: another try of the same challenge was being counted at that instant; it is refused, not counted. */
  | { readonly ok: false; readonly reason: AttemptRefusal | 'not_found' | 'wrong_user' | 'busy' };

export interface ChallengeStore {
  /** Writes a new challenge; never overwrites one with the same id. */
  putChallenge(challenge: StoredChallenge): Promise<void>;
  getChallenge(challengeId: string): Promise<StoredChallenge | undefined>;
  /**
   * Counts one try before any comparison, atomically: only while the challenge belongs to `userId`, is unused,
   * unexpired, under the try limit and the user is not locked out. Returns the challenge as counted.
   */
  beginAttempt(challengeId: string, userId: string, now: number): Promise<AttemptResult>;
  /** Marks the challenge used; false when it already was (a concurrent success), so a code passes at most once. */
  markUsed(challengeId: string, userId: string, now: number): Promise<boolean>;
  failureBudget(userId: string): Promise<UserFailureBudgetState>;
  /** Adds one failure to the user's budget (and to the subject's failed-step-up velocity) and returns the budget. */
  recordFailure(userId: string, subjectId: string, now: number): Promise<UserFailureBudgetState>;
}

/** A step-up as the triggers see it: the decision API's record plus the ceremony's own attributes. */
export interface StepUpRecord extends StoredStepUp {
  readonly lastSentAt?: number;
  /** The challenge of the latest delivery: a retried or concurrent ceremony continues with it. */
  readonly lastChallengeId?: string;
  readonly resends: number;
  readonly grantedMethod?: StepUpMethod;
  readonly grantedChallengeId?: string;
  /** When the pre-token trigger put this grant's claims into tokens (once). */
  readonly claimsIssuedAt?: number;
  /** When post authentication taught this step-up's context to the user's profile (once). */
  readonly learnedAt?: number;
}

export interface GrantInput {
  readonly stepUpId: string;
  readonly subjectId: string;
  readonly method: StepUpMethod;
  readonly challengeId: string;
  readonly now: number;
}

export type LearningResult = 'learned' | 'already_learned' | 'profile_changed' | 'not_granted';

export interface StepUpGrantStore {
  /** The step-up, or undefined when unknown or past its storage lifetime. */
  getStepUp(stepUpId: string, now: number): Promise<StepUpRecord | undefined>;
  /**
   * Reserves one code delivery for the step-up under the resend limits, for the challenge `challengeId`;
   * refused deliveries change nothing.
   */
  claimSend(stepUpId: string, now: number, challengeId: string): Promise<ResendAssessment>;
  /** pending → granted, only while pending, unexpired and of `subjectId`. Undefined when that did not hold. */
  grant(input: GrantInput): Promise<StepUpRecord | undefined>;
  /**
   * Marks the grant's claims as issued, once, while the grant is fresh (granted within `maxAgeMs`) and belongs to
   * one of `subjectIds`. Undefined when any of that does not hold or the claims were already issued.
   */
  claimTokenClaims(input: {
    readonly stepUpId: string;
    readonly subjectIds: readonly string[];
    readonly now: number;
    readonly maxAgeMs: number;
  }): Promise<StepUpRecord | undefined>;
  loadProfile(subjectId: string): Promise<{ readonly profile?: UserProfile; readonly revision: number }>;
  /**
   * Writes the learned profile (only if still at `expectedRevision`) and marks the step-up learned (only once)
   * together, so a retried post-authentication never teaches the same context twice.
   */
  commitLearning(input: {
    readonly stepUp: StepUpRecord;
    readonly next: UserProfile;
    readonly expectedRevision: number;
    readonly now: number;
    /** The profile before learning (undefined: the user had none), so population counts see what became trusted. */
    readonly previous?: UserProfile;
  }): Promise<LearningResult>;
}

export interface TotpEnrollment {
  readonly userId: string;
  /** Base32 secret, already unsealed by the adapter. */
  readonly secret: string;
  readonly status: 'pending' | 'active';
  readonly createdAt: number;
  /** Pending enrolments must be confirmed before this (epoch ms). */
  readonly pendingUntil?: number;
  readonly confirmTries: number;
  readonly lastTimeStep?: number;
  readonly confirmedAt?: number;
}

export interface TotpStore {
  getTotp(userId: string): Promise<TotpEnrollment | undefined>;
  /** Stores a pending enrolment (replacing an unconfirmed one); an active enrolment is never replaced here. */
  startEnrollment(
    userId: string,
    secret: string,
    now: number,
    pendingMs: number,
  ): Promise<'started' | 'already_active'>;
  /** Counts one confirmation try of a pending, unexpired enrolment; undefined when none or out of tries. */
  beginConfirm(userId: string, now: number, maxTries: number): Promise<TotpEnrollment | undefined>;
  /**
   * pending → active, recording the time step that confirmed it; false when the enrolment is no longer pending.
   * With `audit`, the record is written in the same transaction: no activation without it.
   */
  activate(userId: string, timeStep: number, now: number, audit?: AuditEvent): Promise<boolean>;
  /** Records an accepted time step; false when that step (or a later one) was already used: a replay. */
  useTimeStep(userId: string, timeStep: number): Promise<boolean>;
}
