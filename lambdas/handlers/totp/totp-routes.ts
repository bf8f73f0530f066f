import { z } from 'zod';
import {
  confirmTotp,
  enrollTotp,
  removeTotp,
  type TotpEnrolmentDependencies,
} from '../../application/authenticators/totp-enrolment';
import type { PasskeyRegistration } from '../../application/passkeys/passkey-registration';
import type { RouteKeyOf } from '../../contracts/routes';
import { callerOf } from '../http/caller';
import { json, route, serveRoutes, type HttpLambda, type RouteHandlers } from '../http/http-handler';
import { passkeyRoutes } from '../passkeys/passkey-routes';
import { changeBody, changeOf } from './change-request';

export { changeBody };

export const confirmBody = z.strictObject({
  code: z.string().regex(/^[0-9]{6}$/, 'must be the 6-digit code your authenticator app shows'),
});

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * The signed-in user's authenticators (user-pool access token, any signed-in user: the table gives these routes no
 * groups): `enroll` returns a pending secret once with its otpauth:// URI (for the QR code), `confirm` activates
 * it, `remove` deletes the active one. The rules (a step-up for `mfa.change`, spent once) are in the workflow.
 */
export function totpRoutes(
  deps: TotpEnrolmentDependencies,
): Pick<RouteHandlers<'totp'>, Extract<RouteKeyOf<'totp'>, `${string} /v1/step-up/totp/${string}`>> {
  return {
    'POST /v1/step-up/totp/enroll': route({ body: changeBody }, async ({ body, event }) =>
      json(200, await enrollTotp(deps, changeOf(event, body)), NO_STORE),
    ),
    'POST /v1/step-up/totp/confirm': route({ body: confirmBody }, async ({ body, event }) => {
      const { replaced } = await confirmTotp(deps, callerOf(event), body.code);
      return json(200, { status: 'active', replaced }, NO_STORE);
    }),
    'POST /v1/step-up/totp/remove': route({ body: changeBody }, async ({ body, event }) => {
      await removeTotp(deps, changeOf(event, body));
      return json(200, { status: 'removed' }, NO_STORE);
    }),
  };
}

/** The TOTP function's HTTP entry point: the user's authenticators, TOTP and passkeys. */
export function buildTotpEnrollmentHandler(deps: TotpEnrolmentDependencies, passkeys: PasskeyRegistration): HttpLambda {
  return serveRoutes(
    'totp',
    { ...totpRoutes(deps), ...passkeyRoutes(passkeys) },
    deps.logError ? { logError: deps.logError } : {},
  );
}
