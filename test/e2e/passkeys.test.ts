import { NotAuthorizedException } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { postJson, startTestRuntime, userTokens } from '../support/local-runtime';
import { ALICE, claimsOf, PasskeyFlow } from '../support/passkey-flow';
import { SoftAuthenticator, type SoftCredential } from '../support/soft-authenticator';

/**
 * Every rule of passkey registration and of the `webauthn` step-up, on the local runtime (real handlers, real
 * triggers, DynamoDB Local), with a software authenticator whose answers are genuinely signed, so each refusal
 * below is the server's own check failing, not a mock. The runtime's clock is injected to expire challenges.
 */
describe('passkeys: registration rules and the webauthn step-up', () => {
  let runtime: LocalRuntime;
  let flow: PasskeyFlow;
  let origin: string;
  let device: SoftAuthenticator;
  let credential: SoftCredential;
  let aliceToken: string;
  let passkeyId: string;
  const clock = { now: Date.parse('2026-12-03T10:00:00Z') };

  beforeAll(async () => {
    runtime = await startTestRuntime({
      now: () => clock.now,
      env: { STEPGATE_AUTH_SESSION_VALIDITY_MINUTES: '15' },
    });
    flow = new PasskeyFlow(runtime);
    origin = `http://localhost:${new URL(runtime.url).port}`;
    device = new SoftAuthenticator(origin, 'localhost');
    credential = device.newCredential();
    aliceToken = (await userTokens(runtime.url, ALICE.username, ALICE.password)).accessToken;
  });
  afterAll(async () => {
    flow?.destroy();
    await runtime?.stop();
  });

  const api = (path: string, body: unknown, token = aliceToken) => postJson(`${runtime.url}${path}`, token, body);
  const put = async (path: string, body: unknown) => {
    const res = await fetch(`${runtime.url}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string }; passkey?: { name: string } } };
  };
  const list = async () => {
    const res = await fetch(`${runtime.url}/v1/step-up/passkeys`, {
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { passkeys: { id: string; name: string; lastUsedAt?: string }[] }).passkeys;
  };
  const grant = async () => {
    clock.now += 31_000; // past the e-mail resend interval of the previous ceremony
    return flow.mfaChangeGrant(aliceToken);
  };
  const trail = async () =>
    (
      await new DynamoDbAuditReader({
        client: runtime.context.dynamo,
        tableName: runtime.context.tables.audit,
        now: () => clock.now,
      }).exportRecords({ from: clock.now - 3_600_000, to: clock.now + 60_000, subject: ALICE.username })
    ).records.map((r) => r.event);

  describe('registration', () => {
    it('needs a passed mfa.change step-up: an access token alone gets 403 naming it', async () => {
      const res = await api('/v1/step-up/passkeys/register/start', {});
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'step_up_required', field: 'stepUpId', action: 'mfa.change' });
      const pending = await flow.decide('mfa.change');
      const unpassed = await api('/v1/step-up/passkeys/register/start', { stepUpId: pending.stepUp!.id });
      expect(unpassed.status).toBe(403);
      expect(unpassed.body.error.code).toBe('step_up_invalid');
    });

    it('refuses an attestation from another origin, for another RP ID, or without user verification', async () => {
      const start = await api('/v1/step-up/passkeys/register/start', { stepUpId: await grant() });
      expect(start.status).toBe(200);
      const options = start.body.options as { challenge: string; rp: { id: string } };
      expect(options.rp.id).toBe('localhost');
      for (const [bad, message] of [
        [{ origin: 'https://evil.example' }, /origin/i],
        [{ rpId: 'evil.example' }, /RP ID/i],
        [{ userVerified: false }, /verif/i],
        [{ type: 'webauthn.get' }, /type/i],
      ] as const) {
        const res = await api('/v1/step-up/passkeys/register/finish', {
          response: device.register(options, device.newCredential(), bad),
        });
        expect(res.status).toBe(400);
        expect(res.body.error.field).toBe('response');
        expect(res.body.error.message).toMatch(message);
      }
      const wrongChallenge = await api('/v1/step-up/passkeys/register/finish', {
        response: device.register({ challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, device.newCredential()),
      });
      expect(wrongChallenge.status).toBe(400);
      expect(await list()).toEqual([]);
    });

    it('registers once per ceremony and per grant; the grant, the passkey and the change are audited', async () => {
      const stepUpId = await grant();
      const start = await api('/v1/step-up/passkeys/register/start', { stepUpId });
      expect(start.status).toBe(200);
      // One grant, one change.
      const again = await api('/v1/step-up/passkeys/register/start', { stepUpId });
      expect(again.status).toBe(403);
      expect(again.body.error.code).toBe('step_up_invalid');

      const response = device.register(start.body.options as { challenge: string }, credential);
      const [first, second] = await Promise.all([
        api('/v1/step-up/passkeys/register/finish', { response, name: 'Laptop' }),
        api('/v1/step-up/passkeys/register/finish', { response, name: 'Laptop' }),
      ]);
      expect([first.status, second.status].sort()).toEqual([201, 409]);
      const replay = await api('/v1/step-up/passkeys/register/finish', { response });
      expect(replay.status).toBe(409);

      const passkeys = await list();
      expect(passkeys).toHaveLength(1);
      expect(passkeys[0]).toMatchObject({ name: 'Laptop', deviceType: 'singleDevice', transports: ['internal'] });
      expect(JSON.stringify(passkeys)).not.toContain('publicKey');
      passkeyId = passkeys[0]!.id;
      const events = await trail();
      expect(events.find((e) => e.kind === 'mfa.enrolled' && e.data?.method === 'webauthn')).toMatchObject({
        outcome: 'active',
        data: { passkeyId, authorisedBy: 'step_up', stepUpId, stepUpMethod: 'email_otp' },
      });
      expect(events.find((e) => e.kind === 'grant.redeemed' && e.data?.stepUpId === stepUpId)).toMatchObject({
        outcome: 'passkey.register',
      });
    });

    it('renames (audited), and answers bad input with a 400 naming the field', async () => {
      const renamed = await put(`/v1/step-up/passkeys/${passkeyId}`, { name: 'Work laptop' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.passkey?.name).toBe('Work laptop');
      expect((await list())[0]?.name).toBe('Work laptop');
      expect((await trail()).some((e) => e.kind === 'mfa.renamed' && e.data?.passkeyId === passkeyId)).toBe(true);
      expect((await put(`/v1/step-up/passkeys/${passkeyId}`, { name: 'bad\u0000name' })).status).toBe(400);
      expect((await put(`/v1/step-up/passkeys/${passkeyId}`, { name: '' })).status).toBe(400);
      expect((await put('/v1/step-up/passkeys/not-an-id', { name: 'x' })).status).toBe(400);
      expect((await put(`/v1/step-up/passkeys/${'0'.repeat(32)}`, { name: 'x' })).status).toBe(404);
      const malformed = await api('/v1/step-up/passkeys/register/finish', { response: { id: 'x' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.field).toMatch(/^response/);
    });
  });

  describe('the webauthn step-up', () => {
    /** A critical action's step-up, up to the webauthn code round. */
    const webauthnRound = async () => {
      const decision = await flow.decide('admin.production_access');
      expect(decision.decision).toBe('step_up');
      const metadata = { stepUpId: decision.stepUp!.id, accessToken: aliceToken, method: 'webauthn' };
      const round = await flow.codeRound(metadata);
      expect(round.ChallengeParameters).toMatchObject({ step: 'code', method: 'webauthn', rpId: 'localhost' });
      const options = JSON.parse(round.ChallengeParameters!.options!) as {
        challenge: string;
        rpId: string;
        userVerification: string;
        allowCredentials: { id: string }[];
      };
      return { stepUpId: decision.stepUp!.id, metadata, round, options };
    };

    it('offers this user’s passkeys and passes with a valid assertion; the grant allows the action', async () => {
      const { stepUpId, metadata, round, options } = await webauthnRound();
      expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
      expect(options.allowCredentials.map((c) => c.id)).toEqual([credential.id.toString('base64url')]);
      const done = await flow.respond(round.Session, device.assert(options.challenge, credential), metadata);
      expect(claimsOf(done.AuthenticationResult?.AccessToken)).toMatchObject({
        step_up_id: stepUpId,
        step_up_amr: ['hwk', 'user'],
      });
      const redeemed = await flow.decide('admin.production_access', { stepUpId });
      expect(redeemed.decision).toBe('allow');
      expect((await list())[0]?.lastUsedAt).toBe(new Date(clock.now).toISOString());
    });

    it('refuses a replayed assertion: in the spent session, and in a new ceremony', async () => {
      const first = await webauthnRound();
      const answer = device.assert(first.options.challenge, credential);
      expect((await flow.respond(first.round.Session, answer, first.metadata)).AuthenticationResult).toBeDefined();
      await expect(flow.respond(first.round.Session, answer, first.metadata)).rejects.toBeInstanceOf(
        NotAuthorizedException,
      );
      const second = await webauthnRound();
      const replayed = await flow.respond(second.round.Session, answer, second.metadata);
      expect(replayed.AuthenticationResult).toBeUndefined();
      expect(replayed.ChallengeParameters?.step).toBe('code');
    });

    it('passes one of two valid answers sent at once to the same challenge, never both', async () => {
      const { round, metadata, options } = await webauthnRound();
      const a = device.assert(options.challenge, credential);
      const b = device.assert(options.challenge, credential);
      const results = await Promise.allSettled([
        flow.respond(round.Session, a, metadata),
        flow.respond(round.Session, b, metadata),
      ]);
      const passed = results.filter((r) => r.status === 'fulfilled' && r.value.AuthenticationResult !== undefined);
      expect(passed).toHaveLength(1);
    });

    it.each([
      ['another origin', { origin: 'https://phish.example' }],
      ['another RP ID', { rpId: 'phish.example' }],
      ['no user verification', { userVerified: false }],
      ['a registration instead of an assertion', { type: 'webauthn.create' }],
    ])('refuses an assertion from %s, and the challenge stays answerable', async (_what, bad) => {
      const { round, metadata, options } = await webauthnRound();
      const refused = await flow.respond(round.Session, device.assert(options.challenge, credential, bad), metadata);
      expect(refused.AuthenticationResult).toBeUndefined();
      expect(refused.ChallengeParameters?.step).toBe('code');
      const done = await flow.respond(refused.Session, device.assert(options.challenge, credential), metadata);
      expect(done.AuthenticationResult).toBeDefined();
    });

    it('refuses a signature counter that went backwards (a cloned authenticator)', async () => {
      const { round, metadata, options } = await webauthnRound();
      const behind = Math.max(0, credential.signCount - 1);
      const refused = await flow.respond(
        round.Session,
        device.assert(options.challenge, credential, { signCount: behind }),
        metadata,
      );
      expect(refused.AuthenticationResult).toBeUndefined();
      const same = await flow.respond(
        refused.Session,
        device.assert(options.challenge, credential, { signCount: credential.signCount }),
        metadata,
      );
      expect(same.AuthenticationResult).toBeUndefined();
    });

    it('refuses an expired challenge, an unknown credential and a malformed answer', async () => {
      const unknown = await webauthnRound();
      const stranger = device.newCredential();
      const refused = await flow.respond(
        unknown.round.Session,
        device.assert(unknown.options.challenge, stranger),
        unknown.metadata,
      );
      expect(refused.AuthenticationResult).toBeUndefined();
      const garbled = await flow.respond(refused.Session, '{"id":', unknown.metadata);
      expect(garbled.AuthenticationResult).toBeUndefined();

      const late = await webauthnRound();
      clock.now += 5 * 60_000 + 1_000; // past the challenge's five minutes
      const expired = await flow.respond(
        late.round.Session,
        device.assert(late.options.challenge, credential),
        late.metadata,
      );
      expect(expired.AuthenticationResult).toBeUndefined();
    });

    it('removes a passkey only with a fresh mfa.change step-up; a removed passkey no longer passes', async () => {
      const missing = await api(`/v1/step-up/passkeys/${passkeyId}/remove`, {});
      expect(missing.status).toBe(403);
      const stepUpId = await grant();
      const removed = await api(`/v1/step-up/passkeys/${passkeyId}/remove`, { stepUpId });
      expect(removed.status).toBe(200);
      expect(await list()).toEqual([]);
      expect((await api(`/v1/step-up/passkeys/${passkeyId}/remove`, { stepUpId })).status).toBe(403);
      const { round, metadata, options } = await webauthnRound();
      expect(options.allowCredentials).toEqual([]);
      const refused = await flow.respond(round.Session, device.assert(options.challenge, credential), metadata);
      expect(refused.AuthenticationResult).toBeUndefined();
      expect((await trail()).some((e) => e.kind === 'mfa.removed' && e.data?.passkeyId === passkeyId)).toBe(true);
    });
  });
});
