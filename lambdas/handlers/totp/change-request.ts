import { z } from 'zod';
import type { AuthenticatorChange } from '../../application/authenticators/change-authorisation';
import { generatedIdSchema, identifierSchema } from '../../contracts/identifiers';
import { callerOf } from '../http/caller';
import type { HttpEvent } from '../http/http-handler';

/**
 * The step-up that authorises a change of authenticators (TOTP or passkey), and the session and device the app
 * made the request from. `stepUpId` is optional in the schema so that a request without one gets the 403 that
 * says which step-up is missing.
 */
export const changeBody = z.strictObject({
  stepUpId: generatedIdSchema('step-up').optional(),
  sessionId: identifierSchema().optional(),
  deviceId: identifierSchema().optional(),
});

function bearerToken(event: HttpEvent): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '');
  return match?.[1];
}

/** The caller, their access token (only to ask the user pool for verified contacts) and what the body names. */
export function changeOf(event: HttpEvent, body: z.infer<typeof changeBody> = {}): AuthenticatorChange {
  const accessToken = bearerToken(event);
  return { actor: callerOf(event), ...(accessToken ? { accessToken } : {}), ...body };
}
