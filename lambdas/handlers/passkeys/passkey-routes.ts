import { z } from 'zod';
import type { PasskeyRegistration } from '../../application/passkeys/passkey-registration';
import { InvalidRequestError } from '../http/api-errors';
import type { RouteKeyOf } from '../../contracts/routes';
import { json, route, type HttpEvent, type RouteHandlers } from '../http/http-handler';
import { changeBody, changeOf } from '../totp/change-request';

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

function passkeyIdOf(event: HttpEvent): string {
  const id = event.pathParameters?.passkeyId ?? '';
  if (!PASSKEY_ID.test(id))
    throw new InvalidRequestError('passkeyId: must be the 32-character id the list returns', 'passkeyId');
  return id;
}

/** The passkey routes of the route table (all on the TOTP function). */
type PasskeyRouteKey = Extract<RouteKeyOf<'totp'>, `${string} /v1/step-up/passkeys${string}`>;

/**
 * The signed-in user's passkeys (user-pool access token, any signed-in user: the table gives these routes no
 * groups). They are served by the TOTP function beside its own routes; the rules live in the workflow.
 */
export function passkeyRoutes(workflow: PasskeyRegistration): Pick<RouteHandlers<'totp'>, PasskeyRouteKey> {
  return {
    'POST /v1/step-up/passkeys/register/start': route({ body: registerStartBody }, async ({ body, event }) =>
      json(200, await workflow.start(changeOf(event, body)), NO_STORE),
    ),
    'POST /v1/step-up/passkeys/register/finish': route({ body: registerFinishBody }, async ({ body, event }) =>
      json(201, { passkey: await workflow.finish(changeOf(event), body) }, NO_STORE),
    ),
    'GET /v1/step-up/passkeys': route({}, async ({ event }) =>
      json(200, { passkeys: await workflow.list(changeOf(event)) }, NO_STORE),
    ),
    'PUT /v1/step-up/passkeys/{passkeyId}': route({ body: renameBody }, async ({ body, event }) =>
      json(200, { passkey: await workflow.rename(changeOf(event), passkeyIdOf(event), body.name) }, NO_STORE),
    ),
    'POST /v1/step-up/passkeys/{passkeyId}/remove': route({ body: removeBody }, async ({ body, event }) => {
      await workflow.remove(changeOf(event, body), passkeyIdOf(event));
      return json(200, { status: 'removed' }, NO_STORE);
    }),
  };
}
