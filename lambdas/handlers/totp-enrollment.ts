import { z } from 'zod';
import type { AuditEvent } from '../core/audit/audit-event';
import { generatedIdSchema, identifierSchema } from '../core/identifier';
import type { Policy } from '../core/policy/policy-schema';
import { AUTHENTICATOR_CHANGE_ACTION, checkAuthenticatorChangeGrant } from '../core/step-up/authenticator-change';
import { generateTotpSecret, totpUri, TOTP_DEFAULTS, verifyTotp } from '../core/step-up/totp';
import type { AccountContacts } from '../ports/account-contacts';
import type {
  AuthenticatorStore,
  EnrolmentAuthorisation,
  GrantRedemption,
  PendingTotp,
  StepUpRecord,
} from '../ports/challenge-store';
import type { Clock } from '../ports/clock';
import type { ActivePolicySource } from '../ports/policy-store';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  StepUpInvalidError,
  StepUpRequiredError,
} from './http/api-errors';
import { callerOf, type Caller } from './http/caller';
import { httpHandler, json, type HttpEvent, type HttpLambda } from './http/http-handler';

export const TOTP_ROUTES = {
  enroll: 'POST /v1/step-up/totp/enroll',
  confirm: 'POST /v1/step-up/totp/confirm',
  remove: 'POST /v1/step-up/totp/remove',
} as const;

/** An enrolment not confirmed within this time has to start over (the secret was shown once). */
export const TOTP_PENDING_MS = 15 * 60_000;
/** Wrong codes accepted while confirming one enrolment: 5 tries of 10^6 leave a guess no real chance. */
export const TOTP_CONFIRM_TRIES = 5;

export interface TotpEnrollmentDependencies {
  readonly store: AuthenticatorStore;
  /** The active policy: the level (and so the max age and acr) of `mfa.change`, and the first-enrolment rule. */
  readonly policy: ActivePolicySource;
  /**
   * Whether the caller has a verified e-mail or phone; only asked when the policy allows a first authenticator
   * without a step-up for accounts that have neither. Without it, that exemption never applies.
   */
  readonly contacts?: AccountContacts;
  readonly clock: Clock;
  /** `crypto.randomBytes`. */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Shown by authenticator apps next to the account (the `issuer` of the otpauth URI). */
  readonly issuerName: string;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/**
 * The step-up that authorises the change, and the session and device the app made the request from. `stepUpId`
 * is optional in the schema so that a request without one gets the 403 that says which step-up is missing.
 */
export const changeBody = z.strictObject({
  stepUpId: generatedIdSchema('step-up').optional(),
  sessionId: identifierSchema().optional(),
  deviceId: identifierSchema().optional(),
});
type ChangeBody = z.infer<typeof changeBody>;

export const confirmBody = z.strictObject({
  code: z.string().regex(/^[0-9]{6}$/, 'must be the 6-digit code your authenticator app shows'),
});

const NO_STORE = { 'cache-control': 'no-store' };

function stepUpRequired(): StepUpRequiredError {
  return new StepUpRequiredError(
    AUTHENTICATOR_CHANGE_ACTION,
    `stepUpId: changing authenticators needs a passed step-up for ${AUTHENTICATOR_CHANGE_ACTION}: ask POST /v1/decisions about ${AUTHENTICATOR_CHANGE_ACTION}, complete the step-up with a method you already have, and send its stepUpId`,
  );
}

function bearerToken(event: HttpEvent): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '');
  return match?.[1];
}

/**
 * The signed-in user's authenticators (user-pool access token, like every `user` route):
 * - `enroll` creates a pending secret and returns it once with its otpauth:// URI (for the QR code); an active
 *   authenticator keeps answering step-ups until the new one is confirmed (then it is replaced);
 * - `confirm` activates the pending secret when the user proves their app produces the current code;
 * - `remove` deletes the active authenticator.
 *
 * `enroll` and `remove` redeem a step-up for `mfa.change` (see authenticator-change.ts): an access token alone
 * may be stolen, and whoever controls the authenticators passes every later step-up, `critical` included. The
 * grant is spent in the same transaction as the change, so one grant authorises one change. The only exception is
 * the policy's opt-in `authenticators.firstWithoutStepUp: no_verified_contact`: a first authenticator for an
 * account with no verified e-mail or phone, which has no method to step up with. Every activation and removal is
 * audited (`mfa.enrolled`, `mfa.removed`) with how it was authorised, in the same transaction.
 */
export function buildTotpEnrollmentHandler(deps: TotpEnrollmentDependencies): HttpLambda {
  const logError = deps.logError ?? ((summary) => console.error(JSON.stringify({ level: 'ERROR', ...summary })));

  const usernameOf = (caller: Caller): string => {
    // The Cognito username is what the triggers see as `userName`, so it keys the authenticators.
    if (!caller.username) throw new ForbiddenError('a user access token is required');
    return caller.username;
  };

  /** The grant named in `body`, checked against every rule for a change of authenticators; throws 403 otherwise. */
  async function checkedGrant(body: ChangeBody, username: string, now: number, policy: Policy) {
    const stepUp = body.stepUpId !== undefined ? await deps.store.getStepUp(body.stepUpId, now) : undefined;
    if (!stepUp) throw new StepUpInvalidError(AUTHENTICATOR_CHANGE_ACTION, 'no such step-up');
    const challenge = stepUp.grantedChallengeId ? await deps.store.getChallenge(stepUp.grantedChallengeId) : undefined;
    const check = checkAuthenticatorChangeGrant(
      { ...stepUp, ...(challenge ? { passedBy: challenge.userId } : {}) },
      { username, deviceId: body.deviceId, sessionId: body.sessionId, now },
      policy,
    );
    if (!check.ok) throw new StepUpInvalidError(AUTHENTICATOR_CHANGE_ACTION, check.why);
    return stepUp;
  }

  function redemptionAudit(caller: Caller, stepUp: StepUpRecord, purpose: string, now: number): AuditEvent {
    return {
      eventId: `grant:${stepUp.stepUpId}:redeemed`,
      kind: 'grant.redeemed',
      actor: { type: 'user', id: caller.subject },
      subject: stepUp.userId,
      action: AUTHENTICATOR_CHANGE_ACTION,
      outcome: purpose,
      at: new Date(now).toISOString(),
      data: { stepUpId: stepUp.stepUpId, ...(stepUp.grantedMethod ? { stepUpMethod: stepUp.grantedMethod } : {}) },
    };
  }

  /** The policy's exemption for a first authenticator: only for an account the user pool knows no contact of. */
  async function exempt(policy: Policy, event: HttpEvent): Promise<boolean> {
    if ((policy.authenticators?.firstWithoutStepUp ?? 'never') !== 'no_verified_contact') return false;
    const token = bearerToken(event);
    if (!deps.contacts || !token) return false;
    try {
      return !(await deps.contacts.hasVerifiedContact(token));
    } catch (error) {
      // Cannot tell: the account may be reachable, so the step-up stays required.
      logError({ event: 'contacts_lookup_failed', name: (error as Error)?.name });
      return false;
    }
  }

  const enroll = httpHandler({ body: changeBody, logError }, async ({ body, event }) => {
    const caller = callerOf(event);
    const username = usernameOf(caller);
    const now = deps.clock();
    const { policy } = await deps.policy.active();
    const current = await deps.store.getTotp(username);
    const replaces = current?.status === 'active';
    let authorisation: EnrolmentAuthorisation;
    let redemption: GrantRedemption | undefined;
    let audit: AuditEvent | undefined;
    if (body.stepUpId !== undefined) {
      const stepUp = await checkedGrant(body, username, now, policy);
      authorisation = {
        kind: 'step_up',
        stepUpId: stepUp.stepUpId,
        ...(stepUp.grantedMethod ? { method: stepUp.grantedMethod } : {}),
      };
      redemption = { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision };
      audit = redemptionAudit(caller, stepUp, 'totp.enroll', now);
    } else if (!replaces && (await exempt(policy, event))) {
      authorisation = { kind: 'no_verified_contact' };
    } else {
      throw stepUpRequired();
    }
    const secret = generateTotpSecret(deps.randomBytes);
    const started = await deps.store.startTotpEnrolment({
      userId: username,
      secret,
      now,
      pendingMs: TOTP_PENDING_MS,
      authorisation,
      replaces,
      ...(redemption ? { redemption } : {}),
      ...(audit ? { audit } : {}),
    });
    if (started === 'grant_used') throw new StepUpInvalidError(AUTHENTICATOR_CHANGE_ACTION, 'grant already used');
    if (started === 'changed') throw new ConflictError('totp: the authenticator changed meanwhile; start again');
    return json(
      200,
      {
        status: 'pending',
        replaces,
        secret,
        otpauthUri: totpUri(secret, username, deps.issuerName),
        algorithm: TOTP_DEFAULTS.algorithm,
        digits: TOTP_DEFAULTS.digits,
        period: TOTP_DEFAULTS.stepSeconds,
        confirmBy: new Date(now + TOTP_PENDING_MS).toISOString(),
      },
      NO_STORE,
    );
  });

  function enrolledAudit(caller: Caller, pending: PendingTotp, now: number): AuditEvent {
    const how = pending.authorisation;
    return {
      eventId: `totp:${pending.userId}:enrolled:${now}`,
      kind: 'mfa.enrolled',
      actor: { type: 'user', id: caller.subject },
      subject: pending.userId,
      action: 'totp.confirm',
      outcome: 'active',
      at: new Date(now).toISOString(),
      // The actor is the token's stable sub; the username beside it is what the API and reports show.
      data: {
        method: 'totp',
        username: pending.userId,
        replaced: pending.replaces,
        authorisedBy: how.kind,
        ...(how.kind === 'step_up' ? { stepUpId: how.stepUpId } : {}),
        ...(how.kind === 'step_up' && how.method ? { stepUpMethod: how.method } : {}),
      },
    };
  }

  const confirm = httpHandler({ body: confirmBody, logError }, async ({ body, event }) => {
    const caller = callerOf(event);
    const username = usernameOf(caller);
    const now = deps.clock();
    const pending = await deps.store.beginTotpConfirm(username, now, TOTP_CONFIRM_TRIES);
    if (!pending) {
      const current = await deps.store.getPendingTotp(username);
      if (current && current.pendingUntil > now && current.confirmTries >= TOTP_CONFIRM_TRIES) {
        throw new ApiError('rate_limited', 'code: too many wrong codes; start the enrolment again');
      }
      throw new ConflictError('totp: no enrolment to confirm; start one with POST /v1/step-up/totp/enroll');
    }
    const result = verifyTotp(pending.secret, body.code, now, { window: 1 });
    if (!result.ok || result.timeStep === undefined) {
      throw new InvalidRequestError('code: does not match the current code of the enrolled secret', 'code');
    }
    if (!(await deps.store.activateTotp(pending, result.timeStep, now, enrolledAudit(caller, pending, now)))) {
      throw new ConflictError('totp: the enrolment changed while confirming; start again');
    }
    return json(200, { status: 'active', replaced: pending.replaces }, NO_STORE);
  });

  const remove = httpHandler({ body: changeBody, logError }, async ({ body, event }) => {
    const caller = callerOf(event);
    const username = usernameOf(caller);
    if (body.stepUpId === undefined) throw stepUpRequired();
    const now = deps.clock();
    const { policy } = await deps.policy.active();
    const stepUp = await checkedGrant(body, username, now, policy);
    const removed = await deps.store.removeTotp({
      userId: username,
      now,
      redemption: { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision },
      audit: [
        redemptionAudit(caller, stepUp, 'totp.remove', now),
        {
          eventId: `totp:${username}:removed:${now}`,
          kind: 'mfa.removed',
          actor: { type: 'user', id: caller.subject },
          subject: username,
          action: 'totp.remove',
          outcome: 'removed',
          at: new Date(now).toISOString(),
          data: {
            method: 'totp',
            authorisedBy: 'step_up',
            stepUpId: stepUp.stepUpId,
            ...(stepUp.grantedMethod ? { stepUpMethod: stepUp.grantedMethod } : {}),
          },
        },
      ],
    });
    if (removed === 'grant_used') throw new StepUpInvalidError(AUTHENTICATOR_CHANGE_ACTION, 'grant already used');
    if (removed === 'not_enrolled') throw new NotFoundError('totp: no authenticator is enrolled');
    return json(200, { status: 'removed' }, NO_STORE);
  });

  return async (event, context) => {
    if (event.routeKey === TOTP_ROUTES.enroll) return enroll(event, context);
    if (event.routeKey === TOTP_ROUTES.confirm) return confirm(event, context);
    if (event.routeKey === TOTP_ROUTES.remove) return remove(event, context);
    return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
  };
}
