import { assessResend, isUserLocked, type StepUpMethod } from '../../core/step-up/challenge-policy';
import { parseClientMetadata, type ClientMetadataFailure } from '../../core/step-up/client-metadata';
import {
  verifyDecisionToken,
  type DecisionTokenFailure,
  type VerifiedDecisionClaims,
} from '../../core/step-up/decision-token';
import { maskEmail, maskPhone } from '../../core/step-up/masking';
import type { ChallengeStore, StepUpGrantStore, StepUpRecord } from '../../ports/challenge-store';
import type { CodeChannel } from '../../ports/code-sender';
import {
  clientMetadataOf,
  isUserNotFound,
  userAttribute,
  userIdentifiers,
  type DecisionTokenSettings,
  type TokenVerifierProvider,
  type TriggerEventBase,
} from './trigger-support';

/**
 * What a step-up ceremony is about, established from the client-controlled ClientMetadata of the context round:
 * whose step-up, proven how, answered with which method. Verify (context round) and Create (first code round)
 * both resolve it, so a code is only ever sent for a binding that checks out in the very request that asks for it.
 *
 * Client metadata can only add friction: every value in it is verified (token signatures, the stored step-up) and
 * anything unverifiable fails the binding.
 */

export type BindingFailure =
  | `metadata_${ClientMetadataFailure}`
  | 'access_token_invalid'
  | 'access_token_other_user'
  | `decision_token_${DecisionTokenFailure}`
  | 'decision_denied'
  | 'decision_without_step_up'
  | 'step_up_mismatch'
  | 'step_up_not_found'
  | 'step_up_not_pending'
  | 'step_up_expired'
  | 'step_up_other_user'
  | 'method_not_offered'
  | 'method_unavailable'
  | 'resend_limit'
  | 'user_locked';

export interface CodeBinding {
  readonly kind: 'code';
  /** What proved whose step-up it is: a signed-in user's access token, or a signed sign-in decision. */
  readonly via: 'access_token' | 'decision_token';
  readonly stepUp: StepUpRecord;
  readonly method: StepUpMethod;
  /** Where a code goes; absent for TOTP and for a user that does not exist (nothing is sent then). */
  readonly delivery?: { readonly channel: CodeChannel; readonly to: string };
  /** Masked, for the client to show. */
  readonly destination: string;
}

/** A signed sign-in decision of `allow`: tokens may be issued once the password was verified (Define decides). */
export interface AllowBinding {
  readonly kind: 'allow';
  readonly decisionId: string;
}

export type Binding =
  | { readonly ok: true; readonly value: CodeBinding | AllowBinding }
  | { readonly ok: false; readonly reason: BindingFailure; readonly stepUpId?: string };

/**
 * Who the round's ClientMetadata verifiably speaks for: a signed-in user (a valid access token of this very user,
 * for the app client running the ceremony) or a sign-in (a valid decision token naming this user). Verified on
 * every use, since each round brings its own ClientMetadata.
 */
export type VerifiedCaller =
  | { readonly ok: true; readonly kind: 'step_up'; readonly stepUpId: string; readonly method: StepUpMethod }
  | {
      readonly ok: true;
      readonly kind: 'sign_in';
      readonly claims: VerifiedDecisionClaims;
      readonly stepUpId?: string;
      readonly method: StepUpMethod;
    }
  | { readonly ok: false; readonly reason: BindingFailure; readonly stepUpId?: string };

export interface CallerDependencies {
  readonly accessTokens: TokenVerifierProvider;
  readonly decisionTokens: DecisionTokenSettings;
}

export async function identifyCaller(
  event: TriggerEventBase & { readonly request: object },
  deps: CallerDependencies,
  now: number,
): Promise<VerifiedCaller> {
  const parsed = parseClientMetadata(clientMetadataOf(event));
  if (!parsed.ok) return { ok: false, reason: `metadata_${parsed.reason}` };
  const metadata = parsed.value;
  if (metadata.kind === 'step_up') {
    const check = await deps
      .accessTokens({ region: event.region, userPoolId: event.userPoolId, clientId: event.callerContext.clientId })
      .verify(metadata.accessToken);
    if (!check.ok) return { ok: false, reason: 'access_token_invalid', stepUpId: metadata.stepUpId };
    const claims = check.token.claims;
    const sub = userAttribute(event, 'sub');
    const sameUser = claims.username === event.userName || (sub !== undefined && claims.sub === sub);
    if (!sameUser) return { ok: false, reason: 'access_token_other_user', stepUpId: metadata.stepUpId };
    return { ok: true, kind: 'step_up', stepUpId: metadata.stepUpId, method: metadata.method };
  }
  const verified = await verifyDecisionToken(metadata.decisionToken, await deps.decisionTokens.key(), {
    issuer: deps.decisionTokens.issuer,
    expectedUsername: userIdentifiers(event),
    now,
  });
  if (!verified.ok) {
    return metadata.stepUpId
      ? { ok: false, reason: `decision_token_${verified.reason}`, stepUpId: metadata.stepUpId }
      : { ok: false, reason: `decision_token_${verified.reason}` };
  }
  return {
    ok: true,
    kind: 'sign_in',
    claims: verified.claims,
    method: metadata.method,
    ...(metadata.stepUpId !== undefined ? { stepUpId: metadata.stepUpId } : {}),
  };
}

export interface BindingDependencies {
  readonly stepUps: Pick<StepUpGrantStore, 'getStepUp'>;
  readonly challenges: Pick<ChallengeStore, 'failureBudget'>;
  readonly accessTokens: TokenVerifierProvider;
  readonly decisionTokens: DecisionTokenSettings;
}

type BindingEvent = TriggerEventBase & { readonly request: object };

const TOTP_DESTINATION = 'authenticator app';

function fail(reason: BindingFailure, stepUpId?: string): Binding {
  return stepUpId ? { ok: false, reason, stepUpId } : { ok: false, reason };
}

export class StepUpBindingResolver {
  constructor(private readonly deps: BindingDependencies) {}

  async resolve(event: BindingEvent, now: number): Promise<Binding> {
    const caller = await identifyCaller(event, this.deps, now);
    if (!caller.ok) return fail(caller.reason, caller.stepUpId);
    const userIds = userIdentifiers(event);

    let stepUpId: string;
    if (caller.kind === 'step_up') {
      stepUpId = caller.stepUpId;
    } else {
      const { claims } = caller;
      if (claims.decision === 'deny') return fail('decision_denied', claims.stepUpId);
      if (claims.decision === 'allow') return { ok: true, value: { kind: 'allow', decisionId: claims.decisionId } };
      if (!claims.stepUpId) return fail('decision_without_step_up');
      if (caller.stepUpId !== undefined && caller.stepUpId !== claims.stepUpId) {
        return fail('step_up_mismatch', claims.stepUpId);
      }
      stepUpId = claims.stepUpId;
    }
    const metadata = { method: caller.method };

    const [stepUp, budget] = await Promise.all([
      this.deps.stepUps.getStepUp(stepUpId, now),
      this.deps.challenges.failureBudget(event.userName),
    ]);
    if (!stepUp) return fail('step_up_not_found', stepUpId);
    if (!userIds.includes(stepUp.userId)) return fail('step_up_other_user', stepUpId);
    if (stepUp.status !== 'pending') return fail('step_up_not_pending', stepUpId);
    if (!(stepUp.expiresAt > now)) return fail('step_up_expired', stepUpId);
    if (!stepUp.methods.includes(metadata.method)) return fail('method_not_offered', stepUpId);
    // Checked here as well as when counting a try, so a locked-out user is not sent another code.
    if (isUserLocked(budget, now)) return fail('user_locked', stepUpId);

    const delivery = this.delivery(event, metadata.method);
    if (!delivery) return fail('method_unavailable', stepUpId);
    if (delivery.channel) {
      // Too soon for another code is not a failure: Create continues with the latest challenge instead.
      const resend = assessResend(
        { resends: stepUp.resends, ...(stepUp.lastSentAt !== undefined ? { lastSentAt: stepUp.lastSentAt } : {}) },
        now,
      );
      if (!resend.allowed && resend.reason === 'too_many_resends') return fail('resend_limit', stepUpId);
    }
    return {
      ok: true,
      value: {
        kind: 'code',
        via: caller.kind === 'step_up' ? 'access_token' : 'decision_token',
        stepUp,
        method: metadata.method,
        destination: delivery.destination,
        ...(delivery.channel && delivery.to ? { delivery: { channel: delivery.channel, to: delivery.to } } : {}),
      },
    };
  }

  /**
   * Whether the user has the method, and where its code goes. A user that does not exist is treated like the most
   * common real user (verified e-mail, no phone), so the answers look the same either way; the code round then
   * simply never passes. TOTP is always "available": whether someone has an authenticator is not revealed, since
   * the code round for a user without one (or without an account) looks the same, and Verify, which checks the
   * enrolment, never passes it.
   */
  private delivery(
    event: BindingEvent,
    method: StepUpMethod,
  ): { channel?: CodeChannel; to?: string; destination: string } | undefined {
    if (method === 'totp') return { destination: TOTP_DESTINATION };
    if (isUserNotFound(event)) {
      return method === 'email_otp' ? { channel: 'email', destination: maskEmail(event.userName) } : undefined;
    }
    switch (method) {
      case 'email_otp': {
        const email = userAttribute(event, 'email');
        if (!email || userAttribute(event, 'email_verified') !== 'true') return undefined;
        return { channel: 'email', to: email, destination: maskEmail(email) };
      }
      case 'sms_otp': {
        const phone = userAttribute(event, 'phone_number');
        if (!phone || userAttribute(event, 'phone_number_verified') !== 'true') return undefined;
        return { channel: 'sms', to: phone, destination: maskPhone(phone) };
      }
    }
  }
}

/**
 * The approval a finished session refers to, for pre token generation and post authentication: the decision id of
 * a valid decision token of this user, or the `stepUpId` of a step-up's ClientMetadata. Only a pointer: both
 * triggers act solely on an approval Define Auth Challenge recorded for this user moments ago.
 */
export async function approvalKeyOf(
  event: TriggerEventBase & { readonly request: object },
  decisionTokens: DecisionTokenSettings,
  now: number,
): Promise<{ readonly kind: 'sign_in' | 'step_up'; readonly id: string } | undefined> {
  const parsed = parseClientMetadata(clientMetadataOf(event));
  if (!parsed.ok) return undefined;
  if (parsed.value.kind === 'step_up') return { kind: 'step_up', id: parsed.value.stepUpId };
  const verified = await verifyDecisionToken(parsed.value.decisionToken, await decisionTokens.key(), {
    issuer: decisionTokens.issuer,
    expectedUsername: userIdentifiers(event),
    now,
  });
  return verified.ok ? { kind: 'sign_in', id: verified.claims.decisionId } : undefined;
}
