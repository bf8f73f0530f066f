import type { Context } from 'aws-lambda';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { generateTotp } from '../../../lambdas/core/step-up/totp';
import type { HttpEvent } from '../../../lambdas/handlers/http/http-handler';
import { TOTP_CONFIRM_TRIES } from '../../../lambdas/application/authenticators/totp-enrolment';
import type { RouteKeyOf } from '../../../lambdas/contracts/routes';
import { buildTotpEnrollmentHandler } from '../../../lambdas/handlers/totp/totp-routes';
import type { AccountContacts } from '../../../lambdas/ports/account-contacts';
import type { StepUpRecord } from '../../../lambdas/ports/challenge-store';
import { ALICE, BOB, MemoryStepUpStore, pendingStepUp, T0 } from './support';

const context = {} as Context;
const TOTP_ROUTES = {
  enroll: 'POST /v1/step-up/totp/enroll',
  confirm: 'POST /v1/step-up/totp/confirm',
  remove: 'POST /v1/step-up/totp/remove',
} as const satisfies Record<string, RouteKeyOf<'totp'>>;
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdWItYWxpY2UifQ.c2ln';

function event(routeKey: string, claims: Record<string, string>, body?: unknown): HttpEvent {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]!,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    requestContext: { authorizer: { jwt: { claims, scopes: [] } }, http: { method: 'POST' } },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as HttpEvent;
}

/** Answers whether the account has a verified contact, and counts the questions. */
class FixedContacts implements AccountContacts {
  asked = 0;
  constructor(private readonly answer: boolean | Error) {}
  hasVerifiedContact(token: string): Promise<boolean> {
    this.asked += 1;
    expect(token).toBe(TOKEN);
    return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer);
  }
}

describe('TOTP enrolment API', () => {
  const alice = { sub: 'sub-alice', username: ALICE.userName, token_use: 'access' };
  let store: MemoryStepUpStore;
  let now: number;
  let policy: Policy;
  let contacts: AccountContacts | undefined;
  let handler: ReturnType<typeof buildTotpEnrollmentHandler>;
  let challenges = 0;
  beforeEach(() => {
    store = new MemoryStepUpStore();
    now = T0;
    policy = defaultPolicy;
    contacts = undefined;
    handler = buildTotpEnrollmentHandler({
      store,
      policy: { active: () => Promise.resolve({ version: 1, policy, updatedAt: '', updatedBy: 'test' }) },
      get contacts() {
        return contacts;
      },
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

  /** A step-up for mfa.change that `passedBy` answered with e-mail OTP `agoMs` ago. */
  function grant(overrides: Partial<StepUpRecord> = {}, passedBy = ALICE.userName, agoMs = 60_000): string {
    const challengeId = `ch-${++challenges}`;
    const stepUp = pendingStepUp({
      stepUpId: `su-change-${challenges}`,
      action: 'mfa.change',
      status: 'granted',
      grantedAt: now - agoMs,
      grantedMethod: 'email_otp',
      grantedChallengeId: challengeId,
      deviceId: 'phone-1',
      sessionId: 'sess-A',
      revision: 1,
      ...overrides,
    });
    store.stepUps.set(stepUp.stepUpId, stepUp);
    store.challenges.set(challengeId, {
      challengeId,
      userId: passedBy,
      subjectId: stepUp.userId,
      stepUpId: stepUp.stepUpId,
      method: 'email_otp',
      destination: 'a***@e***.com',
      createdAt: now - agoMs - 5000,
      expiresAt: now - agoMs + 295_000,
      tries: 1,
      usedAt: now - agoMs,
    });
    return stepUp.stepUpId;
  }
  const bound = { sessionId: 'sess-A', deviceId: 'phone-1' };

  async function enrolWith(stepUpId: string) {
    const enrolled = await call(TOTP_ROUTES.enroll, { stepUpId, ...bound });
    expect(enrolled.status).toBe(200);
    const confirmed = await call(TOTP_ROUTES.confirm, { code: generateTotp(enrolled.body.secret, now) });
    expect(confirmed.status).toBe(200);
    return enrolled.body.secret as string;
  }

  it('refuses an access token alone: 403 step_up_required naming the missing step-up, nothing stored', async () => {
    const res = await call(TOTP_ROUTES.enroll, {});
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'step_up_required', field: 'stepUpId', action: 'mfa.change' });
    expect(res.body.error.message).toContain('mfa.change');
    expect(store.pendingTotps.size).toBe(0);
    expect(store.totps.size).toBe(0);
  });

  it('enrols with a passed e-mail step-up: pending secret shown once, activated by the current code, audited', async () => {
    const stepUpId = grant();
    const enrolled = await call(TOTP_ROUTES.enroll, { stepUpId, ...bound });
    expect(enrolled.status).toBe(200);
    expect(enrolled.headers['cache-control']).toBe('no-store');
    expect(enrolled.body).toMatchObject({
      status: 'pending',
      replaces: false,
      digits: 6,
      period: 30,
      algorithm: 'SHA1',
    });
    expect(enrolled.body.otpauthUri).toContain(`secret=${enrolled.body.secret}`);
    expect(store.stepUps.get(stepUpId)?.consumed).toBe(true);

    expect((await call(TOTP_ROUTES.confirm, { code: '12345' })).status).toBe(400);
    const wrong = generateTotp(enrolled.body.secret, now) === '000000' ? '111111' : '000000';
    expect((await call(TOTP_ROUTES.confirm, { code: wrong })).status).toBe(400);
    const ok = await call(TOTP_ROUTES.confirm, { code: generateTotp(enrolled.body.secret, now) });
    expect(ok).toMatchObject({ status: 200, body: { status: 'active', replaced: false } });
    expect(store.totps.get(ALICE.userName)).toMatchObject({
      status: 'active',
      secret: enrolled.body.secret,
      lastTimeStep: Math.floor(now / 30_000),
    });
    // The redemption and the activation are audited: how the change was authorised; never the secret or a code.
    expect(store.changeAudits.map((a) => [a.kind, a.subject, a.outcome])).toEqual([
      ['grant.redeemed', ALICE.userName, 'totp.enroll'],
      ['mfa.enrolled', ALICE.userName, 'active'],
    ]);
    expect(store.changeAudits[1]).toMatchObject({
      actor: { type: 'user', id: 'sub-alice' },
      data: {
        method: 'totp',
        username: ALICE.userName,
        replaced: false,
        authorisedBy: 'step_up',
        stepUpId,
        stepUpMethod: 'email_otp',
      },
    });
    expect(JSON.stringify(store.changeAudits)).not.toContain(enrolled.body.secret);
    expect((await call(TOTP_ROUTES.confirm, { code: '123456' })).status).toBe(409);
  });

  it('never lets one grant enrol twice', async () => {
    const stepUpId = grant();
    expect((await call(TOTP_ROUTES.enroll, { stepUpId, ...bound })).status).toBe(200);
    const again = await call(TOTP_ROUTES.enroll, { stepUpId, ...bound });
    expect(again.status).toBe(403);
    expect(again.body.error).toMatchObject({ code: 'step_up_invalid', field: 'stepUpId' });
    expect(again.body.error.message).toContain('already used');
  });

  it('accepts a grant the decision API already redeemed (critical: single use) for the one change it was asked for', async () => {
    const stepUpId = grant({ consumed: true, revision: 2 });
    expect((await call(TOTP_ROUTES.enroll, { stepUpId, ...bound })).status).toBe(200);
    expect(store.stepUps.get(stepUpId)).toMatchObject({ consumed: true, changeRedeemedAt: now });
    expect((await call(TOTP_ROUTES.enroll, { stepUpId, ...bound })).body.error.code).toBe('step_up_invalid');
  });

  it.each<[string, () => string, Record<string, unknown>?]>([
    ['an unknown step-up', () => 'su-nowhere'],
    ["another user's step-up", () => grant({}, BOB.userName)],
    ['a step-up for another action', () => grant({ action: 'payment.transfer' })],
    ['a step-up not passed', () => grant({ status: 'pending' })],
    ['a failed step-up', () => grant({ status: 'failed' })],
    ['a step-up older than the level allows', () => grant({}, ALICE.userName, 301_000)],
    ['a grant that already authorised a change', () => grant({ changeRedeemedAt: now - 1000 })],
    ['a grant of a weaker acr', () => grant({ acr: 'urn:stepgate:acr:password' })],
    ['another session', () => grant(), { sessionId: 'sess-B', deviceId: 'phone-1' }],
    ['no session', () => grant(), { deviceId: 'phone-1' }],
    ['another device', () => grant(), { sessionId: 'sess-A', deviceId: 'laptop-9' }],
    ['no device', () => grant(), { sessionId: 'sess-A' }],
  ])('refuses %s with 403 step_up_invalid, and changes nothing', async (_name, make, binding = bound) => {
    const stepUpId = make();
    const consumedBefore = store.stepUps.get(stepUpId)?.consumed;
    const res = await call(TOTP_ROUTES.enroll, { stepUpId, ...binding });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'step_up_invalid', field: 'stepUpId', action: 'mfa.change' });
    expect(store.pendingTotps.size).toBe(0);
    expect(store.stepUps.get(stepUpId)?.consumed).toBe(consumedBefore);
  });

  it('replaces an authenticator only with a step-up; the old one answers until the new one is confirmed', async () => {
    const old = await enrolWith(grant());
    expect((await call(TOTP_ROUTES.enroll, {})).body.error.code).toBe('step_up_required');
    now += 60_000;
    const replacing = await call(TOTP_ROUTES.enroll, { stepUpId: grant(), ...bound });
    expect(replacing.body).toMatchObject({ status: 'pending', replaces: true });
    expect(store.totps.get(ALICE.userName)).toMatchObject({ status: 'active', secret: old });
    const confirmed = await call(TOTP_ROUTES.confirm, { code: generateTotp(replacing.body.secret, now) });
    expect(confirmed.body).toEqual({ status: 'active', replaced: true });
    expect(store.totps.get(ALICE.userName)).toMatchObject({ status: 'active', secret: replacing.body.secret });
    expect(store.changeAudits.at(-1)).toMatchObject({ kind: 'mfa.enrolled', data: { replaced: true } });
  });

  it('removes an authenticator only with a step-up, once per grant, audited', async () => {
    await enrolWith(grant());
    const refused = await call(TOTP_ROUTES.remove, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'step_up_required', field: 'stepUpId' });
    expect(store.totps.get(ALICE.userName)?.status).toBe('active');

    const stepUpId = grant();
    expect((await call(TOTP_ROUTES.remove, { stepUpId, sessionId: 'sess-B', deviceId: 'phone-1' })).status).toBe(403);
    const removed = await call(TOTP_ROUTES.remove, { stepUpId, ...bound });
    expect(removed).toMatchObject({ status: 200, body: { status: 'removed' } });
    expect(store.totps.has(ALICE.userName)).toBe(false);
    expect(store.changeAudits.slice(-2).map((a) => [a.kind, a.outcome])).toEqual([
      ['grant.redeemed', 'totp.remove'],
      ['mfa.removed', 'removed'],
    ]);
    // Nothing left to remove: 404, and that grant stays unspent.
    const spare = grant();
    expect((await call(TOTP_ROUTES.remove, { stepUpId: spare, ...bound })).status).toBe(404);
    expect(store.stepUps.get(spare)?.consumed).toBe(false);
  });

  describe('the first-authenticator exemption (policy opt-in, no verified e-mail or phone)', () => {
    const exempting = () => {
      policy = { ...defaultPolicy, authenticators: { firstWithoutStepUp: 'no_verified_contact' } };
    };

    it('enrols an account with no verified contact without a step-up, and the audit record says so', async () => {
      exempting();
      const lookup = new FixedContacts(false);
      contacts = lookup;
      const enrolled = await call(TOTP_ROUTES.enroll, {});
      expect(enrolled.status).toBe(200);
      expect(lookup.asked).toBe(1);
      expect((await call(TOTP_ROUTES.confirm, { code: generateTotp(enrolled.body.secret, now) })).status).toBe(200);
      expect(store.changeAudits).toEqual([
        expect.objectContaining({
          kind: 'mfa.enrolled',
          data: { method: 'totp', username: ALICE.userName, replaced: false, authorisedBy: 'no_verified_contact' },
        }),
      ]);
      // Never for a replacement: an account with an authenticator can step up with it.
      expect((await call(TOTP_ROUTES.enroll, {})).body.error.code).toBe('step_up_required');
    });

    it.each<[string, () => void]>([
      ['the policy leaves it off (default)', () => (contacts = new FixedContacts(false))],
      ['the account has a verified contact', () => (exempting(), (contacts = new FixedContacts(true)))],
      ['the user pool cannot be asked', () => (exempting(), (contacts = new FixedContacts(new Error('timeout'))))],
      ['no user-pool lookup is configured', () => exempting()],
    ])('still requires a step-up when %s', async (_name, arrange) => {
      arrange();
      const res = await call(TOTP_ROUTES.enroll, {});
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('step_up_required');
      expect(store.pendingTotps.size).toBe(0);
    });
  });

  it('refuses malformed identifiers with 400 naming the field', async () => {
    const stepUpId = grant();
    for (const [body, field] of [
      [{ stepUpId, sessionId: 'sess\u0085A' }, 'sessionId'],
      [{ stepUpId, deviceId: 'phone\u202e1' }, 'deviceId'],
      [{ stepUpId: 'su 1' }, 'stepUpId'],
    ] as const) {
      const res = await call(TOTP_ROUTES.enroll, body);
      expect({ field, status: res.status, named: res.body.error.field }).toEqual({ field, status: 400, named: field });
    }
    expect(store.stepUps.get(stepUpId)?.consumed).toBe(false);
  });

  it('limits confirmation tries and expires unconfirmed enrolments', async () => {
    const { body } = await call(TOTP_ROUTES.enroll, { stepUpId: grant(), ...bound });
    const wrong = generateTotp(body.secret, now) === '000000' ? '111111' : '000000';
    for (let i = 0; i < TOTP_CONFIRM_TRIES; i += 1)
      expect((await call(TOTP_ROUTES.confirm, { code: wrong })).status).toBe(400);
    expect((await call(TOTP_ROUTES.confirm, { code: generateTotp(body.secret, now) })).status).toBe(429);

    const again = await call(TOTP_ROUTES.enroll, { stepUpId: grant(), ...bound });
    now += 16 * 60_000;
    expect((await call(TOTP_ROUTES.confirm, { code: generateTotp(again.body.secret, now) })).status).toBe(409);
  });

  it('needs a user token (an app token has no username)', async () => {
    const app = { sub: 'local-app', client_id: 'local-app' };
    expect((await call(TOTP_ROUTES.enroll, {}, app)).status).toBe(403);
    expect((await call(TOTP_ROUTES.remove, {}, app)).status).toBe(403);
  });
});
