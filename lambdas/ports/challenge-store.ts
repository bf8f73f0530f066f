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
  /** When a change of authenticators redeemed this grant (once). */
  readonly changeRedeemedAt?: number;
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

/** What the triggers need of TOTP: the active authenticator, and its replay guard. */
export interface TotpStore {
  /** The user's active authenticator (a `pending` one is a leftover of an older layout: never usable). */
  getTotp(userId: string): Promise<TotpEnrollment | undefined>;
  /** Records an accepted time step; false when that step (or a later one) was already used: a replay. */
  useTimeStep(userId: string, timeStep: number): Promise<boolean>;
}

/**
 * Define Auth Challenge's record that it let one session through: the only evidence pre token generation and post
 * authentication have of what the session proved (Cognito gives them no session). Keyed by what the finished
 * session's ClientMetadata names: the sign-in decision (`sign_in`, its decision id) or the step-up (`step_up`, its
 * step-up id).
 */
export interface SessionApproval {
  readonly kind: 'sign_in' | 'step_up';
  /** The decision id (sign_in) or step-up id (step_up). */
  readonly id: string;
  /** The Cognito username the session ran for. */
  readonly userName: string;
  /** The session started with SRP_A ✓ then PASSWORD_VERIFIER ✓. */
  readonly passwordVerified: boolean;
  /** The step-up the session passed, when it passed one. */
  readonly stepUpId?: string;
  readonly approvedAt: number;
  /** When pre token generation turned this approval into tokens (once). */
  readonly tokensIssuedAt?: number;
}

export interface SessionApprovalStore {
  /**
   * Records the approval; idempotent for Cognito's retries. False when tokens were already issued under this key
   * (the same decision or step-up used by a second session), which the caller must refuse.
   */
  approve(approval: SessionApproval): Promise<boolean>;
  /**
   * Marks the approval as turned into tokens, once, while it is fresh and belongs to `userName`. Undefined when any
   * of that does not hold.
   */
  claimForTokens(input: {
    readonly kind: SessionApproval['kind'];
    readonly id: string;
    readonly userName: string;
    readonly now: number;
    readonly maxAgeMs: number;
  }): Promise<SessionApproval | undefined>;
  /** The approval while it is fresh, whether or not tokens were issued yet (post authentication may run first). */
  findApproval(input: {
    readonly kind: SessionApproval['kind'];
    readonly id: string;
    readonly now: number;
    readonly maxAgeMs: number;
  }): Promise<SessionApproval | undefined>;
}

/** Why an enrolment was allowed: a redeemed step-up, or the policy's exemption for an account with no contact. */
export type EnrolmentAuthorisation =
  | { readonly kind: 'step_up'; readonly stepUpId: string; readonly method?: StepUpMethod }
  | { readonly kind: 'no_verified_contact' };

/** A TOTP enrolment waiting for its first code; the active authenticator (if any) works until it is confirmed. */
export interface PendingTotp {
  readonly userId: string;
  /** Base32 secret, already unsealed by the adapter. */
  readonly secret: string;
  readonly createdAt: number;
  /** Epoch ms: confirm before this. */
  readonly pendingUntil: number;
  readonly confirmTries: number;
  readonly authorisation: EnrolmentAuthorisation;
  /** Whether an active authenticator existed when it started (a replacement). */
  readonly replaces: boolean;
}

/** A grant spent by a change of authenticators: the write fails if the step-up changed since it was read. */
export interface GrantRedemption {
  readonly stepUpId: string;
  /** The step-up's `revision` as read and checked. */
  readonly expectedRevision: number;
}

export type StartEnrolmentResult =
  /** `grant_used`: the grant was redeemed (or changed) meanwhile; `changed`: an authenticator came or went meanwhile. */
  'started' | 'grant_used' | 'changed';

/**
 * Changes of a user's authenticators (TOTP enrolment API). Each change that redeems a grant marks it consumed in
 * the same transaction as the change and its audit records, so one grant authorises exactly one change, however
 * many requests race for it.
 */
export interface AuthenticatorStore extends TotpStore {
  getStepUp(stepUpId: string, now: number): Promise<StepUpRecord | undefined>;
  getChallenge(challengeId: string): Promise<StoredChallenge | undefined>;
  /**
   * Stores a pending enrolment (replacing another pending one), only while the active authenticator is as
   * `replaces` says, redeeming `redemption` (with its `audit` record) in the same transaction.
   */
  startTotpEnrolment(input: {
    readonly userId: string;
    readonly secret: string;
    readonly now: number;
    readonly pendingMs: number;
    readonly authorisation: EnrolmentAuthorisation;
    readonly replaces: boolean;
    readonly redemption?: GrantRedemption;
    readonly audit?: AuditEvent;
  }): Promise<StartEnrolmentResult>;
  getPendingTotp(userId: string): Promise<PendingTotp | undefined>;
  /** Counts one confirmation try of a pending, unexpired enrolment; undefined when none or out of tries. */
  beginTotpConfirm(userId: string, now: number, maxTries: number): Promise<PendingTotp | undefined>;
  /**
   * Makes `pending` the active authenticator (replacing the old one), recording the time step that confirmed it,
   * atomically with `audit`; false when that pending enrolment is gone or expired.
   */
  activateTotp(pending: PendingTotp, timeStep: number, now: number, audit: AuditEvent): Promise<boolean>;
  /** Removes the active authenticator, redeeming the grant, atomically with the audit records. */
  removeTotp(input: {
    readonly userId: string;
    readonly now: number;
    readonly redemption: GrantRedemption;
    readonly audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_enrolled'>;
}
