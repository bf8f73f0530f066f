import { z } from 'zod';
import type { AuthenticatorChange } from '../../application/authenticators/change-authorisation';
import {
  confirmTotp,
  enrollTotp,
  removeTotp,
  type TotpEnrolmentDependencies,
} from '../../application/authenticators/totp-enrolment';
import { generatedIdSchema, identifierSchema } from '../../contracts/identifiers';
import { callerOf } from '../http/caller';
import { json, route, serveRoutes, type HttpEvent, type HttpLambda, type RouteHandlers } from '../http/http-handler';

/**
 * The step-up that authorises the change, and the session and device the app made the request from. `stepUpId`
 * is optional in the schema so that a request without one gets the 403 that says which step-up is missing.
 */
export const changeBody = z.strictObject({
  stepUpId: generatedIdSchema('step-up').optional(),
  sessionId: identifierSchema().optional(),
  deviceId: identifierSchema().optional(),
});

export const confirmBody = z.strictObject({
  code: z.string().regex(/^[0-9]{6}$/, 'must be the 6-digit code your authenticator app shows'),
});

const NO_STORE = { 'cache-control': 'no-store' };

function bearerToken(event: HttpEvent): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '');
  return match?.[1];
}

function changeOf(event: HttpEvent, body: z.infer<typeof changeBody>): AuthenticatorChange {
  const accessToken = bearerToken(event);
  return { actor: callerOf(event), ...(accessToken ? { accessToken } : {}), ...body };
}

/**
 * The signed-in user's authenticators (user-pool access token, any signed-in user: the table gives these routes no
 * groups): `enroll` returns a pending secret once with its otpauth:// URI (for the QR code), `confirm` activates
 * it, `remove` deletes the active one. The rules (a step-up for `mfa.change`, spent once) are in the workflow.
 */
export function totpRoutes(deps: TotpEnrolmentDependencies): RouteHandlers<'totp'> {
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

/** The TOTP function's HTTP entry point. */
export function buildTotpEnrollmentHandler(deps: TotpEnrolmentDependencies): HttpLambda {
  return serveRoutes('totp', totpRoutes(deps), deps.logError ? { logError: deps.logError } : {});
}
