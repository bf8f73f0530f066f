import { z } from 'zod';
import type { PasskeyCaller, PasskeyRegistration } from '../application/passkeys/passkey-registration';
import { ForbiddenError, InvalidRequestError } from './http/api-errors';
import { callerOf } from './http/caller';
import { httpHandler, json, type HttpEvent, type HttpLambda } from './http/http-handler';
import { changeBody } from './totp-enrollment';

export const PASSKEY_ROUTES = {
  start: 'POST /v1/step-up/passkeys/register/start',
  finish: 'POST /v1/step-up/passkeys/register/finish',
  list: 'GET /v1/step-up/passkeys',
  rename: 'PUT /v1/step-up/passkeys/{passkeyId}',
  remove: 'POST /v1/step-up/passkeys/{passkeyId}/remove',
} as const;

const PASSKEY_ROUTE_KEYS: ReadonlySet<string> = new Set(Object.values(PASSKEY_ROUTES));

export function isPasskeyRoute(routeKey: string | undefined): boolean {
  return routeKey !== undefined && PASSKEY_ROUTE_KEYS.has(routeKey);
}

const b64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

/** Shown in the user's list; printable, no control characters (it ends up in pages and exports). */
export const passkeyName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must be printable text without control characters');

/** What `PublicKeyCredential.toJSON()` gives for a new credential; the library checks the rest. */
export const registrationResponse = z.looseObject({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  clientExtensionResults: z.looseObject({}).optional(),
});

export const registerStartBody = changeBody;
export const registerFinishBody = z.strictObject({ response: registrationResponse, name: passkeyName.optional() });
export const renameBody = z.strictObject({ name: passkeyName });
export const removeBody = changeBody;

const PASSKEY_ID = /^[0-9a-f]{32}$/;
const NO_STORE = { 'cache-control': 'no-store' };

function callerFrom(event: HttpEvent): PasskeyCaller {
  const caller = callerOf(event);
  // The Cognito username is what the triggers see as `userName`, so it keys the passkeys.
  if (!caller.username) throw new ForbiddenError('a user access token is required');
  const token = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '')?.[1];
  return { username: caller.username, subject: caller.subject, ...(token ? { accessToken: token } : {}) };
}

function passkeyIdOf(event: HttpEvent): string {
  const id = event.pathParameters?.passkeyId ?? '';
  if (!PASSKEY_ID.test(id))
    throw new InvalidRequestError('passkeyId: must be the 32-character id the list returns', 'passkeyId');
  return id;
}

/** The passkey routes of the signed-in user (user-pool access token); the rules live in the workflow. */
export function buildPasskeyHandler(
  workflow: PasskeyRegistration,
  logError?: (summary: Record<string, unknown>) => void,
): HttpLambda {
  const options = logError ? { logError } : {};
  const start = httpHandler({ ...options, body: registerStartBody }, async ({ body, event }) =>
    json(200, await workflow.start(callerFrom(event), body), NO_STORE),
  );
  const finish = httpHandler({ ...options, body: registerFinishBody }, async ({ body, event }) =>
    json(201, { passkey: await workflow.finish(callerFrom(event), body) }, NO_STORE),
  );
  const list = httpHandler({ ...options }, async ({ event }) =>
    json(200, { passkeys: await workflow.list(callerFrom(event)) }, NO_STORE),
  );
  const rename = httpHandler({ ...options, body: renameBody }, async ({ body, event }) =>
    json(200, { passkey: await workflow.rename(callerFrom(event), passkeyIdOf(event), body.name) }, NO_STORE),
  );
  const remove = httpHandler({ ...options, body: removeBody }, async ({ body, event }) => {
    await workflow.remove(callerFrom(event), passkeyIdOf(event), body);
    return json(200, { status: 'removed' }, NO_STORE);
  });
  return async (event, context) => {
    switch (event.routeKey) {
      case PASSKEY_ROUTES.start:
        return start(event, context);
      case PASSKEY_ROUTES.finish:
        return finish(event, context);
      case PASSKEY_ROUTES.list:
        return list(event, context);
      case PASSKEY_ROUTES.rename:
        return rename(event, context);
      case PASSKEY_ROUTES.remove:
        return remove(event, context);
      default:
        return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
    }
  };
}
