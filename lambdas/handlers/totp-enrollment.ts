import { z } from 'zod';
import type { AuditEvent } from '../core/audit/audit-event';
import { generateTotpSecret, totpUri, TOTP_DEFAULTS, verifyTotp } from '../core/step-up/totp';
import type { Clock } from '../ports/clock';
import type { TotpStore } from '../ports/challenge-store';
import { ApiError, ConflictError, ForbiddenError, InvalidRequestError } from './http/api-errors';
import { callerOf } from './http/caller';
import { httpHandler, json, type HttpLambda } from './http/http-handler';

export const TOTP_ROUTES = {
  enroll: 'POST /v1/step-up/totp/enroll',
  confirm: 'POST /v1/step-up/totp/confirm',
} as const;

/** An enrolment not confirmed within this time has to start over (the secret was shown once). */
export const TOTP_PENDING_MS = 15 * 60_000;
/** Wrong codes accepted while confirming one enrolment: 5 tries of 10^6 leave a guess no real chance. */
export const TOTP_CONFIRM_TRIES = 5;

export interface TotpEnrollmentDependencies {
  readonly store: TotpStore;
  readonly clock: Clock;
  /** `crypto.randomBytes`. */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Shown by authenticator apps next to the account (the `issuer` of the otpauth URI). */
  readonly issuerName: string;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

export const confirmBody = z.strictObject({
  code: z.string().regex(/^[0-9]{6}$/, 'must be the 6-digit code your authenticator app shows'),
});

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * TOTP enrolment for the signed-in user (user-pool access token, like every `user` route): `enroll` creates a
 * pending secret and returns it once with its otpauth:// URI (for the QR code); `confirm` activates it when the
 * user proves their app produces the current code. Only an active enrolment can answer a `totp` step-up.
 *
 * An active enrolment is never replaced through this API (409): otherwise anyone holding a stolen access token
 * could swap in their own authenticator and pass every later step-up. Replacing one is a support/admin task.
 * Activation is audited (`mfa.enrolled`, in the same transaction): an auditor can list every authenticator that
 * started answering step-ups, by whom and when.
 */
export function buildTotpEnrollmentHandler(deps: TotpEnrollmentDependencies): HttpLambda {
  const userOf = (event: Parameters<typeof callerOf>[0]): string => {
    const caller = callerOf(event);
    // The Cognito username is what the triggers see as `userName`, so it keys the enrolment.
    if (!caller.username) throw new ForbiddenError('a user access token is required');
    return caller.username;
  };

  const enroll = httpHandler({ ...(deps.logError ? { logError: deps.logError } : {}) }, async ({ event }) => {
    const userId = userOf(event);
    const now = deps.clock();
    const secret = generateTotpSecret(deps.randomBytes);
    const started = await deps.store.startEnrollment(userId, secret, now, TOTP_PENDING_MS);
    if (started === 'already_active')
      throw new ConflictError('totp: an authenticator is already enrolled for this user');
    return json(
      200,
      {
        status: 'pending',
        secret,
        otpauthUri: totpUri(secret, userId, deps.issuerName),
        algorithm: TOTP_DEFAULTS.algorithm,
        digits: TOTP_DEFAULTS.digits,
        period: TOTP_DEFAULTS.stepSeconds,
        confirmBy: new Date(now + TOTP_PENDING_MS).toISOString(),
      },
      NO_STORE,
    );
  });

  const confirm = httpHandler(
    { body: confirmBody, ...(deps.logError ? { logError: deps.logError } : {}) },
    async ({ body, event }) => {
      const userId = userOf(event);
      const now = deps.clock();
      const pending = await deps.store.beginConfirm(userId, now, TOTP_CONFIRM_TRIES);
      if (!pending) {
        const current = await deps.store.getTotp(userId);
        if (current?.status === 'active') throw new ConflictError('totp: already confirmed');
        if (current?.status === 'pending' && current.confirmTries >= TOTP_CONFIRM_TRIES) {
          throw new ApiError('rate_limited', 'code: too many wrong codes; start the enrolment again');
        }
        throw new ConflictError('totp: no enrolment to confirm; start one with POST /v1/step-up/totp/enroll');
      }
      const result = verifyTotp(pending.secret, body.code, now, { window: 1 });
      if (!result.ok || result.timeStep === undefined) {
        throw new InvalidRequestError('code: does not match the current code of the enrolled secret', 'code');
      }
      const enrolled: AuditEvent = {
        eventId: `totp:${userId}:enrolled:${now}`,
        kind: 'mfa.enrolled',
        actor: { type: 'user', id: callerOf(event).subject },
        subject: userId,
        action: 'totp.confirm',
        outcome: 'active',
        at: new Date(now).toISOString(),
        // The actor is the token's stable sub; the username beside it is what the API and reports show.
        data: { method: 'totp', username: userId },
      };
      if (!(await deps.store.activate(userId, result.timeStep, now, enrolled))) {
        throw new ConflictError('totp: the enrolment changed while confirming; start again');
      }
      return json(200, { status: 'active' }, NO_STORE);
    },
  );

  return async (event, context) => {
    if (event.routeKey === TOTP_ROUTES.enroll) return enroll(event, context);
    if (event.routeKey === TOTP_ROUTES.confirm) return confirm(event, context);
    return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
  };
}
