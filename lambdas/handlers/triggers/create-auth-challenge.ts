import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import {
  CODE_TTL_MS,
  MAX_TRIES_PER_CHALLENGE,
  newChallengeState,
  type StepUpMethod,
} from '../../core/step-up/challenge-policy';
import { parseClientMetadata } from '../../core/step-up/client-metadata';
import {
  buildCodeMetadata,
  CHALLENGE_METADATA,
  evaluateSession,
  parseChallengeMetadata,
  type SessionEntry,
} from '../../core/step-up/define-auth-challenge';
import { generateCode, hashCode, type RandomInt } from '../../core/step-up/otp-code';
import { StepgateError } from '../../core/errors';
import type { AuditLog } from '../../ports/audit-log';
import type { ChallengeStore, StepUpGrantStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import { CodeDeliveryError, type CodeSender } from '../../ports/code-sender';
import type { Log } from '../../ports/log';
import type { StepUpBindingResolver } from './step-up-binding';
import { challengeIssuedEvent } from './step-up-audit';
import { auditActor, clientMetadataOf, isUserNotFound, recordAudit, type CognitoTrigger } from './trigger-support';

/**
 * Thrown on purpose: Cognito relays a Create trigger's error message to the client (as
 * UserLambdaValidationException), so the message is fixed, user-facing and reveals nothing.
 */
export class ChallengeUnavailableError extends StepgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('challenge_unavailable', message, options);
  }
}

export const DELIVERY_FAILED_MESSAGE = 'We could not send your verification code. Please try again later.';
export const CHALLENGE_FAILED_MESSAGE = 'Verification is temporarily unavailable. Please try again later.';

export interface CreateAuthChallengeDependencies {
  readonly clock: Clock;
  readonly challenges: ChallengeStore;
  readonly stepUps: StepUpGrantStore;
  readonly binding: StepUpBindingResolver;
  readonly codeSender: CodeSender;
  /** The OTP pepper (Secrets Manager `otpPepper`); codes are stored only as HMACs under it. */
  readonly pepper: () => Promise<string>;
  /** `crypto.randomInt`; injected so tests can fix the code. */
  readonly randomInt: RandomInt;
  readonly newChallengeId: () => string;
  readonly audit?: AuditLog;
  readonly onAuditFailure?: () => void;
  readonly log: Log;
  /** How a decoy waits (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
}

type CreateResponse = CreateAuthChallengeTriggerEvent['response'];

/**
 * Keeps a moving average of how long real deliveries take, so that a challenge for a user who does not exist
 * (nothing is sent) answers after about as long as one that sent an e-mail.
 */
class DeliveryLatency {
  private average = 120;

  observe(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.average = this.average * 0.8 + Math.min(ms, 3000) * 0.2;
  }

  /** The average ±25 %, with jitter from the injected random source. */
  sample(randomInt: RandomInt): number {
    return Math.round(this.average * (0.75 + randomInt(501) / 1000));
  }
}

/**
 * Create Auth Challenge. The context round asks the client for its ClientMetadata; the first code round resolves
 * the step-up binding again (the same request Verify just checked), reserves a delivery under the resend limits,
 * stores a new challenge holding only the code's HMAC, and sends the code; later rounds of the same session
 * re-ask the same challenge (its tries are counted per challenge) and send nothing.
 *
 * Public parameters: `step`, `method`, masked `destination`. Private parameters: `challengeId` only; the code
 * never leaves this function except to the user.
 */
export class CreateAuthChallengeService {
  private readonly log: Log;
  private readonly latency = new DeliveryLatency();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: CreateAuthChallengeDependencies) {
    this.log = deps.log;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  readonly handle: CognitoTrigger<CreateAuthChallengeTriggerEvent> = async (event) => {
    const raw: unknown = event.request?.session;
    const session = (Array.isArray(raw) ? raw : []) as SessionEntry[];
    const evaluation = evaluateSession(session, { userNotFound: false, caller: 'structure_only' });
    if (evaluation.outcome !== 'challenge' || evaluation.next === 'PASSWORD_VERIFIER') {
      // Define would not have asked for a custom challenge here; answer with one nobody can pass.
      event.response = this.deadChallenge(event, 'unexpected_session');
      return event;
    }
    if (evaluation.next === 'CONTEXT') {
      event.response = {
        publicChallengeParameters: { step: 'context' },
        privateChallengeParameters: { step: 'context' },
        challengeMetadata: CHALLENGE_METADATA.CONTEXT,
      };
      return event;
    }
    event.response =
      evaluation.codeRounds === 0
        ? await this.newChallenge(event, evaluation.passwordVerified)
        : await this.sameChallenge(event, session);
    return event;
  };

  private codeResponse(challengeId: string, method: StepUpMethod, destination: string): CreateResponse {
    return {
      publicChallengeParameters: { step: 'code', method, destination },
      privateChallengeParameters: { challengeId },
      challengeMetadata: buildCodeMetadata(challengeId) ?? CHALLENGE_METADATA.CODE,
    };
  }

  /** A code round whose challenge does not exist: every answer fails, so the session ends after its tries. */
  private deadChallenge(event: CreateAuthChallengeTriggerEvent, reason: string): CreateResponse {
    this.log.info('create auth challenge', { trigger: 'create', outcome: 'dead_challenge', reason });
    const parsed = parseClientMetadata(clientMetadataOf(event));
    return this.codeResponse(this.deps.newChallengeId(), parsed.ok ? parsed.value.method : 'email_otp', '***');
  }

  private async sameChallenge(
    event: CreateAuthChallengeTriggerEvent,
    session: readonly SessionEntry[],
  ): Promise<CreateResponse> {
    const last = [...session]
      .reverse()
      .find((entry) => parseChallengeMetadata(entry.challengeMetadata)?.kind === 'CODE');
    const parsed = parseChallengeMetadata(last?.challengeMetadata);
    const challengeId = parsed?.kind === 'CODE' ? parsed.challengeId : undefined;
    if (!challengeId) return this.deadChallenge(event, 'no_challenge_in_session');
    let challenge;
    try {
      challenge = await this.deps.challenges.getChallenge(challengeId);
    } catch (error) {
      throw new ChallengeUnavailableError(CHALLENGE_FAILED_MESSAGE, { cause: error });
    }
    if (!challenge || challenge.userId !== event.userName) return this.deadChallenge(event, 'challenge_not_found');
    this.log.info('create auth challenge', { trigger: 'create', outcome: 'same_challenge', challengeId });
    return this.codeResponse(challengeId, challenge.method, challenge.destination);
  }

  /**
   * No new code may be sent (a Cognito retry of this trigger, or a second ceremony within the resend interval):
   * continue with the step-up's latest challenge while it can still be answered, so the code already delivered
   * works and nothing is sent twice. Its tries stay shared, so this adds no guesses.
   */
  private async latestChallenge(
    event: CreateAuthChallengeTriggerEvent,
    stepUpId: string,
    now: number,
    reason: string,
  ): Promise<CreateResponse> {
    const stepUp = await this.deps.stepUps.getStepUp(stepUpId, now);
    const latest = stepUp?.lastChallengeId
      ? await this.deps.challenges.getChallenge(stepUp.lastChallengeId)
      : undefined;
    const answerable =
      latest !== undefined &&
      latest.userId === event.userName &&
      latest.stepUpId === stepUpId &&
      latest.usedAt === undefined &&
      latest.expiresAt > now &&
      latest.tries < MAX_TRIES_PER_CHALLENGE;
    if (!answerable) return this.deadChallenge(event, reason);
    this.log.info('create auth challenge', {
      trigger: 'create',
      outcome: 'latest_challenge',
      reason,
      challengeId: latest.challengeId,
    });
    return this.codeResponse(latest.challengeId, latest.method, latest.destination);
  }

  private async newChallenge(
    event: CreateAuthChallengeTriggerEvent,
    passwordVerified: boolean,
  ): Promise<CreateResponse> {
    const now = this.deps.clock();
    try {
      const binding = await this.deps.binding.resolve(event, now);
      if (!binding.ok) return this.deadChallenge(event, binding.reason);
      if (binding.value.kind !== 'code') return this.deadChallenge(event, 'no_code_needed');
      // Define refuses this already; no code is ever sent for a sign-in that did not prove the password.
      if (binding.value.via === 'decision_token' && !passwordVerified) {
        return this.deadChallenge(event, 'password_required');
      }
      const { stepUp, method, delivery, destination } = binding.value;

      const challengeId = this.deps.newChallengeId();
      if (method !== 'totp') {
        const claim = await this.deps.stepUps.claimSend(stepUp.stepUpId, now, challengeId);
        if (!claim.allowed) return this.latestChallenge(event, stepUp.stepUpId, now, `resend_${claim.reason}`);
      }

      const code = method === 'totp' ? undefined : generateCode(this.deps.randomInt);
      const codeHash = code === undefined ? undefined : hashCode(code, challengeId, await this.deps.pepper());
      const state = newChallengeState(
        { challengeId, userId: event.userName, stepUpId: stepUp.stepUpId, method, ...(codeHash ? { codeHash } : {}) },
        now,
      );
      await this.deps.challenges.putChallenge({ ...state, subjectId: stepUp.userId, destination });

      let delivered = false;
      if (code !== undefined && delivery && !isUserNotFound(event)) {
        const started = this.deps.clock();
        await this.deps.codeSender.send({
          channel: delivery.channel,
          to: delivery.to,
          code,
          sentAt: now,
          expiresAt: now + CODE_TTL_MS,
        });
        this.latency.observe(this.deps.clock() - started);
        delivered = true;
      } else if (code !== undefined) {
        await this.sleep(this.latency.sample(this.deps.randomInt));
      }

      await recordAudit(
        this.deps.audit,
        challengeIssuedEvent({ actor: auditActor(event), stepUp, challengeId, method, now, delivered }),
        this.log,
        this.deps.onAuditFailure,
      );
      this.log.info('create auth challenge', {
        trigger: 'create',
        outcome: 'challenge_issued',
        challengeId,
        method,
        stepUpId: stepUp.stepUpId,
      });
      return this.codeResponse(challengeId, method, destination);
    } catch (error) {
      this.log.error('create auth challenge failed', { trigger: 'create', error: (error as Error)?.name });
      if (error instanceof CodeDeliveryError)
        throw new ChallengeUnavailableError(DELIVERY_FAILED_MESSAGE, { cause: error });
      throw new ChallengeUnavailableError(CHALLENGE_FAILED_MESSAGE, { cause: error });
    }
  }
}

export function buildCreateAuthChallengeHandler(
  deps: CreateAuthChallengeDependencies,
): CognitoTrigger<CreateAuthChallengeTriggerEvent> {
  return new CreateAuthChallengeService(deps).handle;
}
