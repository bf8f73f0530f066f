import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { codesMatch } from '../../core/step-up/otp-code';
import { verifyTotp } from '../../core/step-up/totp';
import type { AuditLog } from '../../ports/audit-log';
import type { ChallengeStore, StepUpGrantStore, StoredChallenge, TotpStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { Log } from '../../ports/log';
import type { StepUpBindingResolver } from './step-up-binding';
import { grantIssuedEvent, refusedVerificationEvent, verificationEvent } from './step-up-audit';
import { auditActor, isUserNotFound, recordAudit, type CognitoTrigger } from './trigger-support';

export interface VerifyAuthChallengeDependencies {
  readonly clock: Clock;
  readonly challenges: ChallengeStore;
  readonly stepUps: StepUpGrantStore;
  readonly totp: TotpStore;
  readonly binding: StepUpBindingResolver;
  readonly pepper: () => Promise<string>;
  readonly audit?: AuditLog;
  readonly onAuditFailure?: () => void;
  /** Metric hook (VerificationFailed): called once per answered round. */
  readonly onVerification?: (outcome: 'pass' | 'fail') => void;
  readonly log: Log;
}

const CHALLENGE_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** ±1 step (30 s) of clock drift: enough for a phone whose clock is slightly off; wider windows only help guessing. */
const TOTP_WINDOW = 1;

/** Users paste codes with spaces or dashes; only digits are ever compared. */
function normaliseAnswer(answer: unknown): string {
  return typeof answer === 'string' && answer.length <= 64 ? answer.replace(/[\s-]/g, '') : '';
}

/**
 * Verify Auth Challenge Response. Context round: the answer must be "context" and the ClientMetadata binding must
 * check out (a valid access token of this same user, or a signed decision of this user; a pending, unexpired
 * step-up of this user; a method the step-up offers and the user has). Code round: the try is counted atomically
 * BEFORE anything is compared (so parallel guesses cannot exceed the limit), the code is compared in constant time
 * against its HMAC (or checked as TOTP with replay protection), a success is marked used with a condition (single
 * use) and turns the step-up into a grant; a failure is counted against the user's budget.
 *
 * Anything that cannot be verified, including any store error, is `answerCorrect: false`.
 */
export class VerifyAuthChallengeService {
  private readonly log: Log;

  constructor(private readonly deps: VerifyAuthChallengeDependencies) {
    this.log = deps.log;
  }

  readonly handle: CognitoTrigger<VerifyAuthChallengeResponseTriggerEvent> = async (event) => {
    let correct = false;
    try {
      correct = (await this.verify(event)) === true;
    } catch (error) {
      correct = false;
      this.log.error('verify auth challenge response failed', { trigger: 'verify', error: (error as Error)?.name });
    }
    this.deps.onVerification?.(correct ? 'pass' : 'fail');
    event.response = { answerCorrect: correct };
    return event;
  };

  private async verify(event: VerifyAuthChallengeResponseTriggerEvent): Promise<boolean> {
    const params: unknown = event.request?.privateChallengeParameters;
    const privateParams = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    const challengeId = privateParams.challengeId;
    if (typeof challengeId === 'string') return this.verifyCode(event, challengeId);
    if (privateParams.step === 'context') return this.verifyContext(event);
    return false;
  }

  private async verifyContext(event: VerifyAuthChallengeResponseTriggerEvent): Promise<boolean> {
    if (event.request.challengeAnswer !== 'context') {
      this.log.info('verify auth challenge response', {
        trigger: 'verify',
        round: 'context',
        outcome: 'fail',
        reason: 'unexpected_answer',
      });
      return false;
    }
    const binding = await this.deps.binding.resolve(event, this.deps.clock());
    this.log.info('verify auth challenge response', {
      trigger: 'verify',
      round: 'context',
      outcome: binding.ok ? 'pass' : 'fail',
      ...(binding.ok ? { kind: binding.value.kind } : { reason: binding.reason, stepUpId: binding.stepUpId }),
    });
    return binding.ok;
  }

  private async verifyCode(event: VerifyAuthChallengeResponseTriggerEvent, challengeId: string): Promise<boolean> {
    if (!CHALLENGE_ID.test(challengeId)) return false;
    const now = this.deps.clock();
    const actor = auditActor(event);
    const attempt = await this.deps.challenges.beginAttempt(challengeId, event.userName, now);
    if (!attempt.ok) {
      this.log.info('verify auth challenge response', {
        trigger: 'verify',
        round: 'code',
        outcome: 'refused',
        reason: attempt.reason,
        challengeId,
      });
      if (attempt.reason !== 'not_found' && attempt.reason !== 'wrong_user') {
        await recordAudit(
          this.deps.audit,
          refusedVerificationEvent({ actor, userName: event.userName, challengeId, reason: attempt.reason, now }),
          this.log,
          this.deps.onAuditFailure,
        );
      }
      return false;
    }
    const { challenge } = attempt;
    const answer = normaliseAnswer(event.request.challengeAnswer);
    // Compared even for a user that does not exist (same work, same timing); the result is then discarded.
    const matched = (await this.matches(event.userName, challenge, answer, now)) && !isUserNotFound(event);

    let passed = false;
    let reason: string | undefined;
    if (matched) {
      const used = await this.deps.challenges.markUsed(challengeId, event.userName, now);
      const grant = used
        ? await this.deps.stepUps.grant({
            stepUpId: challenge.stepUpId,
            subjectId: challenge.subjectId,
            method: challenge.method,
            challengeId,
            now,
          })
        : undefined;
      passed = grant !== undefined;
      reason = !used ? 'step_up.code_already_used' : grant ? undefined : 'step_up.not_pending';
      if (grant) {
        await recordAudit(
          this.deps.audit,
          grantIssuedEvent({ actor, stepUp: grant }),
          this.log,
          this.deps.onAuditFailure,
        );
      }
    } else {
      reason = 'step_up.wrong_answer';
      const budget = await this.deps.challenges.recordFailure(event.userName, challenge.subjectId, now);
      this.log.info('wrong answer counted against the user failure budget', {
        trigger: 'verify',
        failures: budget.failures,
      });
    }
    await recordAudit(
      this.deps.audit,
      verificationEvent({ actor, challenge, passed, ...(reason ? { reason } : {}), now }),
      this.log,
      this.deps.onAuditFailure,
    );
    this.log.info('verify auth challenge response', {
      trigger: 'verify',
      round: 'code',
      outcome: passed ? 'pass' : 'fail',
      reason,
      challengeId,
      tries: challenge.tries,
    });
    return passed;
  }

  private async matches(userId: string, challenge: StoredChallenge, answer: string, now: number): Promise<boolean> {
    if (challenge.method === 'totp') {
      const enrollment = await this.deps.totp.getTotp(userId);
      if (!enrollment || enrollment.status !== 'active') return false;
      const result = verifyTotp(enrollment.secret, answer, now, {
        window: TOTP_WINDOW,
        ...(enrollment.lastTimeStep !== undefined ? { lastUsedTimeStep: enrollment.lastTimeStep } : {}),
      });
      if (!result.ok || result.timeStep === undefined) return false;
      // Two requests can both pass the check above; only one can record the step.
      return this.deps.totp.useTimeStep(userId, result.timeStep);
    }
    if (challenge.codeHash === undefined) return false;
    return codesMatch(challenge.codeHash, answer, challenge.challengeId, await this.deps.pepper());
  }
}

export function buildVerifyAuthChallengeHandler(
  deps: VerifyAuthChallengeDependencies,
): CognitoTrigger<VerifyAuthChallengeResponseTriggerEvent> {
  return new VerifyAuthChallengeService(deps).handle;
}
