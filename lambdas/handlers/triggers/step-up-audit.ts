import type { AuditEvent } from '../../core/audit/audit-event';
import type { StepUpMethod } from '../../core/step-up/challenge-policy';
import type { StepUpRecord, StoredChallenge } from '../../ports/challenge-store';

/**
 * The audit records of the step-up ceremony. Ids are derived from what they record, so a trigger retried by
 * Cognito (or the same grant recorded by Verify and again by Post authentication) never becomes a second record.
 * Nothing here carries an answer, a code, a token or an address: only ids, methods and outcomes.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export function challengeIssuedEvent(input: {
  actor: AuditEvent['actor'];
  stepUp: StepUpRecord;
  challengeId: string;
  method: StepUpMethod;
  now: number;
  delivered: boolean;
}): AuditEvent {
  return {
    eventId: `challenge:${input.challengeId}:issued`,
    kind: 'step_up.challenge_issued',
    actor: input.actor,
    subject: input.stepUp.userId,
    action: input.stepUp.action,
    outcome: 'issued',
    at: iso(input.now),
    data: {
      stepUpId: input.stepUp.stepUpId,
      challengeId: input.challengeId,
      method: input.method,
      decisionId: input.stepUp.decisionId,
      delivered: input.delivered,
    },
  };
}

export function verificationEvent(input: {
  actor: AuditEvent['actor'];
  challenge: StoredChallenge;
  passed: boolean;
  reason?: string;
  now: number;
}): AuditEvent {
  const { challenge } = input;
  return {
    // `tries` was counted before the comparison, so each try has its own number.
    eventId: `challenge:${challenge.challengeId}:try:${challenge.tries}`,
    kind: 'step_up.verification',
    actor: input.actor,
    subject: challenge.subjectId,
    outcome: input.passed ? 'pass' : 'fail',
    ...(input.reason ? { reasons: [input.reason] } : {}),
    at: iso(input.now),
    data: {
      stepUpId: challenge.stepUpId,
      challengeId: challenge.challengeId,
      method: challenge.method,
      tries: challenge.tries,
    },
  };
}

/** A try refused before any comparison (expired, used, out of tries, user locked out). */
export function refusedVerificationEvent(input: {
  actor: AuditEvent['actor'];
  userName: string;
  challengeId: string;
  reason: string;
  now: number;
}): AuditEvent {
  return {
    eventId: `challenge:${input.challengeId}:refused:${input.now}`,
    kind: 'step_up.verification',
    actor: input.actor,
    subject: input.userName,
    outcome: 'fail',
    reasons: [`step_up.${input.reason}`],
    at: iso(input.now),
    data: { challengeId: input.challengeId },
  };
}

/** Identical whoever records it first (Verify on success, Post authentication after tokens were issued). */
export function grantIssuedEvent(input: { actor: AuditEvent['actor']; stepUp: StepUpRecord }): AuditEvent {
  const { stepUp } = input;
  return {
    eventId: `grant:${stepUp.stepUpId}:issued`,
    kind: 'grant.issued',
    actor: input.actor,
    subject: stepUp.userId,
    action: stepUp.action,
    outcome: 'granted',
    at: iso(stepUp.grantedAt ?? stepUp.createdAt),
    data: {
      stepUpId: stepUp.stepUpId,
      decisionId: stepUp.decisionId,
      acr: stepUp.acr,
      method: stepUp.grantedMethod ?? 'unknown',
      maxAgeSeconds: stepUp.maxAgeSeconds,
      ...(stepUp.grantedChallengeId ? { challengeId: stepUp.grantedChallengeId } : {}),
    },
  };
}
