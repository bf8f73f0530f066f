import type { Context } from 'aws-lambda';
import { PasskeyRegistration } from '../../../lambdas/application/passkeys/passkey-registration';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { buildTotpEnrollmentHandler } from '../../../lambdas/handlers/totp/totp-routes';
import type { HttpEvent } from '../../../lambdas/handlers/http/http-handler';
import type { PasskeyStore } from '../../../lambdas/ports/passkey-store';
import type { WebAuthnCeremonies } from '../../../lambdas/ports/webauthn';
import { ALICE, MemoryStepUpStore, T0 } from '../triggers/support';

const context = {} as Context;

function event(routeKey: string, body?: unknown): HttpEvent {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]!,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      authorizer: { jwt: { claims: { sub: 'sub-alice', username: ALICE.userName }, scopes: [] } },
      http: { method: routeKey.split(' ')[0]! },
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as HttpEvent;
}

/** Records every call: a deployment without a relying party must not start or finish any ceremony. */
function recording<T extends object>(calls: string[]): T {
  return new Proxy({} as T, {
    get: (_target, name) => () => {
      calls.push(String(name));
      return Promise.resolve([]);
    },
  });
}

describe('passkey routes of a deployment without a relying party', () => {
  it('answer 503 "not configured" to registration, touching no passkey and no ceremony', async () => {
    const calls: string[] = [];
    const store = new MemoryStepUpStore();
    const deps = {
      store,
      passkeys: { list: () => Promise.resolve([]) },
      policy: { active: () => Promise.resolve({ version: 1, policy: defaultPolicy, updatedAt: '', updatedBy: 't' }) },
      clock: () => T0,
      randomBytes: (n: number) => new Uint8Array(n),
      issuerName: 'stepgate',
      logError: () => undefined,
    };
    const passkeys = new PasskeyRegistration({
      passkeys: recording<PasskeyStore>(calls),
      authenticators: store,
      policy: deps.policy,
      ceremonies: recording<WebAuthnCeremonies>(calls),
      relyingParty: undefined,
      clock: deps.clock,
      randomBytes: deps.randomBytes,
    });
    const handler = buildTotpEnrollmentHandler(deps, passkeys);
    const finishBody = {
      response: {
        id: 'abc',
        rawId: 'abc',
        type: 'public-key',
        response: { clientDataJSON: 'e30', attestationObject: 'o2M' },
      },
    };
    for (const [route, body] of [
      ['POST /v1/step-up/passkeys/register/start', {}],
      ['POST /v1/step-up/passkeys/register/finish', finishBody],
    ] as const) {
      const res = await handler(event(route, body), context);
      expect({ route, status: res.statusCode, body: JSON.parse(res.body ?? '{}') }).toEqual({
        route,
        status: 503,
        body: {
          error: {
            code: 'service_unavailable',
            message: 'passkeys are not configured for this deployment (no relying party)',
          },
        },
      });
    }
    expect(calls).toEqual([]);
  });
});
