import type { Context } from 'aws-lambda';
import { generateTotp } from '../../../lambdas/core/step-up/totp';
import type { HttpEvent } from '../../../lambdas/handlers/http/http-handler';
import { buildTotpEnrollmentHandler, TOTP_CONFIRM_TRIES, TOTP_ROUTES } from '../../../lambdas/handlers/totp-enrollment';
import { MemoryStepUpStore, T0 } from './support';

const context = {} as Context;

function event(routeKey: string, claims: Record<string, string>, body?: unknown): HttpEvent {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]!,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { authorizer: { jwt: { claims, scopes: [] } }, http: { method: 'POST' } },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as HttpEvent;
}

describe('TOTP enrolment API', () => {
  const alice = { sub: 'sub-alice', username: 'alice@example.com', token_use: 'access' };
  let store: MemoryStepUpStore;
  let now: number;
  let handler: ReturnType<typeof buildTotpEnrollmentHandler>;
  beforeEach(() => {
    store = new MemoryStepUpStore();
    now = T0;
    handler = buildTotpEnrollmentHandler({
      store,
      clock: () => now,
      randomBytes: (n) => new Uint8Array(n).fill(42),
      issuerName: 'stepgate',
      logError: () => undefined,
    });
  });
  const call = async (route: string, body?: unknown, claims: Record<string, string> = alice) => {
    const res = await handler(event(route, claims, body), context);
    return { status: res.statusCode, body: JSON.parse(res.body ?? '{}'), headers: res.headers ?? {} };
  };

  it('enrols: a pending secret shown once (no-store), activated by the current code, never replaced afterwards', async () => {
    const enrolled = await call(TOTP_ROUTES.enroll);
    expect(enrolled.status).toBe(200);
    expect(enrolled.headers['cache-control']).toBe('no-store');
    expect(enrolled.body).toMatchObject({ status: 'pending', digits: 6, period: 30, algorithm: 'SHA1' });
    expect(enrolled.body.otpauthUri).toContain(`secret=${enrolled.body.secret}`);
    expect(store.totps.get('alice@example.com')?.status).toBe('pending');

    expect((await call(TOTP_ROUTES.confirm, { code: '12345' })).status).toBe(400);
    const wrong = generateTotp(enrolled.body.secret, now) === '000000' ? '111111' : '000000';
    expect((await call(TOTP_ROUTES.confirm, { code: wrong })).status).toBe(400);
    const ok = await call(TOTP_ROUTES.confirm, { code: generateTotp(enrolled.body.secret, now) });
    expect(ok).toMatchObject({ status: 200, body: { status: 'active' } });
    expect(store.totps.get('alice@example.com')).toMatchObject({
      status: 'active',
      lastTimeStep: Math.floor(now / 30_000),
    });
    // Activation carries its audit record: who enrolled which user, when; never the secret or a code.
    expect(store.activationAudits).toEqual([
      {
        eventId: `totp:alice@example.com:enrolled:${now}`,
        kind: 'mfa.enrolled',
        actor: { type: 'user', id: 'sub-alice' },
        subject: 'alice@example.com',
        action: 'totp.confirm',
        outcome: 'active',
        at: new Date(now).toISOString(),
        data: { method: 'totp', username: 'alice@example.com' },
      },
    ]);
    expect(JSON.stringify(store.activationAudits)).not.toContain(enrolled.body.secret);

    expect((await call(TOTP_ROUTES.enroll)).status).toBe(409);
    expect((await call(TOTP_ROUTES.confirm, { code: '123456' })).status).toBe(409);
  });

  it('limits confirmation tries and expires unconfirmed enrolments', async () => {
    const { body } = await call(TOTP_ROUTES.enroll);
    const wrong = generateTotp(body.secret, now) === '000000' ? '111111' : '000000';
    for (let i = 0; i < TOTP_CONFIRM_TRIES; i += 1)
      expect((await call(TOTP_ROUTES.confirm, { code: wrong })).status).toBe(400);
    expect((await call(TOTP_ROUTES.confirm, { code: generateTotp(body.secret, now) })).status).toBe(429);

    const again = await call(TOTP_ROUTES.enroll);
    now += 16 * 60_000;
    expect((await call(TOTP_ROUTES.confirm, { code: generateTotp(again.body.secret, now) })).status).toBe(409);
  });

  it('needs a user token (an app token has no username)', async () => {
    expect((await call(TOTP_ROUTES.enroll, undefined, { sub: 'local-app', client_id: 'local-app' })).status).toBe(403);
  });
});
