import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import goSample from '../../fixtures/cognito/aws-lambda-go-verify-auth-challenge.json';
import powertoolsSample from '../../fixtures/cognito/powertools-verify-auth-challenge-response.json';
import {
  CODE_TTL_MS,
  RESEND_MIN_INTERVAL_MS,
  USER_FAILURE_BUDGET,
} from '../../../lambdas/core/step-up/challenge-policy';
import { hashCode } from '../../../lambdas/core/step-up/otp-code';
import { generateTotp } from '../../../lambdas/core/step-up/totp';
import { LocalIssuer } from '../../../lambdas/local/local-issuer';
import {
  ALICE,
  BOB,
  CONTEXT_OK,
  codeEntry,
  createEvent,
  defineEvent,
  decisionTokenFor,
  PASSWORD_PROVEN,
  PEPPER,
  pendingStepUp,
  POOL,
  postAuthEvent,
  preTokenEvent,
  stepUpMetadata,
  T0,
  triggerHarness,
  verifyEvent,
  type EventOptions,
  type Harness,
} from './support';

const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('Verify Auth Challenge trigger', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await triggerHarness({ code: '482913' });
    h.store.stepUps.set('su-1', pendingStepUp());
  });

  const context = async (metadata: Record<string, string> | undefined, o: EventOptions = {}, answer = 'context') =>
    (
      await h.verify(
        verifyEvent({ step: 'context' }, answer, { ...o, ...(metadata ? { clientMetadata: metadata } : {}) }),
      )
    ).response.answerCorrect;

  /** Runs Create's first code round and returns the challenge id. */
  const issue = async (o: EventOptions & { method?: 'email_otp' | 'totp' } = {}) => {
    const metadata =
      o.clientMetadata ??
      (await stepUpMetadata(h, { ...(o.user ? { user: o.user } : {}), method: o.method ?? 'email_otp' }));
    // A sign-in (decision token) proves the password first; a signed-in user's step-up does not.
    const prefix = 'decisionToken' in metadata ? PASSWORD_PROVEN : [];
    const out = await h.create(createEvent([...prefix, CONTEXT_OK], { ...o, clientMetadata: metadata }));
    return out.response.privateChallengeParameters.challengeId as string;
  };
  const answer = async (challengeId: string, code: string, o: EventOptions = {}) =>
    (await h.verify(verifyEvent({ challengeId }, code, o))).response.answerCorrect;

  it('answers false to both sample events (their private parameters are not a stepgate challenge)', async () => {
    for (const sample of [powertoolsSample, goSample]) {
      const out = await h.verify(structuredClone(sample) as unknown as VerifyAuthChallengeResponseTriggerEvent);
      expect(out.response).toEqual({ answerCorrect: false });
    }
  });

  describe('context round: the ClientMetadata binding', () => {
    it('passes with a valid access token of this user, a pending step-up of this user and an offered method', async () => {
      expect(await context(await stepUpMetadata(h))).toBe(true);
    });

    it('accepts the token by sub when the username differs (e-mail alias pools)', async () => {
      const aliasUser = { ...ALICE, userName: 'a1b2c3-opaque' };
      const token = await h.pool.accessTokenOf({ ...ALICE, userName: 'different-name' });
      expect(await context({ stepUpId: 'su-1', accessToken: token, method: 'email_otp' }, { user: aliasUser })).toBe(
        true,
      );
    });

    it("fails with someone else's access token", async () => {
      expect(await context(await stepUpMetadata(h, { tokenUser: BOB }))).toBe(false);
    });

    it('fails with a token of another app client, another pool, an expired one, or none', async () => {
      const otherClient = await h.pool.accessTokenOf(ALICE, 'other-client');
      expect(await context({ stepUpId: 'su-1', accessToken: otherClient, method: 'email_otp' })).toBe(false);

      const otherPool = await LocalIssuer.create('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other');
      const foreign = (
        await otherPool.userTokens(
          { username: ALICE.userName, sub: ALICE.sub, password: '', groups: [], attributes: {} },
          POOL.clientId,
          T0 / 1000,
        )
      ).AccessToken;
      expect(await context({ stepUpId: 'su-1', accessToken: foreign, method: 'email_otp' })).toBe(false);

      const metadata = await stepUpMetadata(h);
      h.state.now += 2 * 3600_000;
      h.store.stepUps.set('su-1', pendingStepUp({ expiresAt: h.state.now + 60_000 }));
      expect(await context(metadata)).toBe(false);

      expect(await context(undefined)).toBe(false);
      expect(await context({ stepUpId: 'su-1', method: 'email_otp' })).toBe(false);
    });

    it('fails when the answer is not "context"', async () => {
      expect(await context(await stepUpMetadata(h), {}, '123456')).toBe(false);
    });

    it('fails for a step-up of another user, an unknown, expired or already granted one', async () => {
      h.store.stepUps.set('su-bob', pendingStepUp({ stepUpId: 'su-bob', userId: BOB.userName }));
      expect(await context(await stepUpMetadata(h, { stepUpId: 'su-bob' }))).toBe(false);
      expect(await context(await stepUpMetadata(h, { stepUpId: 'su-unknown' }))).toBe(false);
      h.store.stepUps.set('su-old', pendingStepUp({ stepUpId: 'su-old', expiresAt: T0 }));
      expect(await context(await stepUpMetadata(h, { stepUpId: 'su-old' }))).toBe(false);
      h.store.stepUps.set('su-done', pendingStepUp({ stepUpId: 'su-done', status: 'granted', grantedAt: T0 }));
      expect(await context(await stepUpMetadata(h, { stepUpId: 'su-done' }))).toBe(false);
    });

    it('offers only methods the step-up lists and the user has', async () => {
      // Bob has a verified phone, but his step-up (a high action) does not offer SMS.
      h.store.stepUps.set(
        'su-bob',
        pendingStepUp({ stepUpId: 'su-bob', userId: BOB.userName, methods: ['email_otp', 'totp'] }),
      );
      const bob = { user: BOB, stepUpId: 'su-bob' };
      expect(await context(await stepUpMetadata(h, { ...bob, method: 'sms_otp' }), { user: BOB })).toBe(false);
      expect(await context(await stepUpMetadata(h, { ...bob, method: 'email_otp' }), { user: BOB })).toBe(true);
      // sms only with a verified phone; e-mail only when verified
      h.store.stepUps.set('su-1', pendingStepUp({ methods: ['email_otp', 'sms_otp'] }));
      expect(await context(await stepUpMetadata(h, { method: 'sms_otp' }))).toBe(false);
      const unverified = { ...ALICE, attributes: { ...ALICE.attributes, email_verified: 'false' } };
      expect(await context(await stepUpMetadata(h), { user: unverified })).toBe(false);
    });

    it('answers TOTP alike with or without an authenticator (or an account): a code round nothing but the enrolled one passes', async () => {
      h.store.stepUps.set('su-1', pendingStepUp({ methods: ['email_otp', 'totp'] }));
      const totp = { method: 'totp' as const };
      const rounds: unknown[] = [];
      const round = async (o: EventOptions = {}) => {
        const metadata = o.clientMetadata ?? (await stepUpMetadata(h, totp));
        expect(await context(metadata, o)).toBe(true);
        const out = await h.create(createEvent([CONTEXT_OK], { ...o, clientMetadata: metadata }));
        rounds.push(out.response.publicChallengeParameters);
        return out.response.privateChallengeParameters.challengeId as string;
      };
      // No authenticator: the round is offered, and no code passes it (not even one from another secret).
      const none = await round();
      expect(await answer(none, generateTotp(TOTP_SECRET, h.state.now))).toBe(false);
      // A pending (unconfirmed) enrolment: the same.
      h.store.totps.set(ALICE.userName, {
        userId: ALICE.userName,
        secret: TOTP_SECRET,
        status: 'pending',
        createdAt: T0,
        confirmTries: 0,
      });
      h.store.stepUps.set('su-1', pendingStepUp({ methods: ['email_otp', 'totp'] }));
      expect(await answer(await round(), generateTotp(TOTP_SECRET, h.state.now))).toBe(false);
      // An unknown user (a sign-in, whose session proved no password: its decision token still names them).
      h.store.stepUps.set(
        'su-ghost',
        pendingStepUp({ stepUpId: 'su-ghost', userId: 'ghost@example.com', methods: ['totp'] }),
      );
      const ghost = { user: { ...ALICE, userName: 'ghost@example.com' }, userNotFound: true };
      const token = await decisionTokenFor('ghost@example.com', 'step_up', T0, { stepUpId: 'su-ghost' });
      expect(await context({ decisionToken: token, method: 'totp' }, ghost)).toBe(true);
      const ghostRound = await h.create(
        createEvent([...PASSWORD_PROVEN, CONTEXT_OK], {
          ...ghost,
          clientMetadata: { decisionToken: token, method: 'totp' },
        }),
      );
      rounds.push(ghostRound.response.publicChallengeParameters);
      // Enrolled: the same round, and the right code passes.
      h.store.totps.set(ALICE.userName, {
        userId: ALICE.userName,
        secret: TOTP_SECRET,
        status: 'active',
        createdAt: T0,
        confirmTries: 0,
      });
      h.store.stepUps.set('su-1', pendingStepUp({ methods: ['email_otp', 'totp'] }));
      h.state.now += 30_000;
      expect(await answer(await round(), generateTotp(TOTP_SECRET, h.state.now))).toBe(true);
      for (const r of rounds) expect(r).toEqual({ step: 'code', method: 'totp', destination: 'authenticator app' });
      expect(rounds).toHaveLength(4);
      expect(h.sender.sent).toHaveLength(0);
    });

    it('fails a locked-out user before any code is sent', async () => {
      h.store.budgets.set(ALICE.userName, { failures: USER_FAILURE_BUDGET.maxFailures, windowStartedAt: T0 - 1000 });
      expect(await context(await stepUpMetadata(h))).toBe(false);
    });

    it('fails closed when the store is unreachable', async () => {
      const metadata = await stepUpMetadata(h);
      h.store.broken = true;
      expect(await context(metadata)).toBe(false);
    });

    describe('sign-in decision tokens', () => {
      const sign = (
        decision: 'allow' | 'step_up' | 'deny',
        o: Parameters<typeof decisionTokenFor>[3] = {},
        user = ALICE.userName,
      ) => decisionTokenFor(user, decision, h.state.now, decision === 'step_up' ? { stepUpId: 'su-1', ...o } : o);

      it('passes a signed step_up decision of this user (the step-up comes from the signed token)', async () => {
        expect(await context({ decisionToken: await sign('step_up'), method: 'email_otp' })).toBe(true);
        expect(await context({ decisionToken: await sign('step_up'), stepUpId: 'su-1', method: 'email_otp' })).toBe(
          true,
        );
      });

      it('passes a signed allow (Define then decides whether tokens may follow)', async () => {
        expect(await context({ decisionToken: await sign('allow'), method: 'email_otp' })).toBe(true);
      });

      it('fails a deny, a token for another user, another key or issuer, an expired token, a mismatched step-up id', async () => {
        // A deny that even names the pending step-up: still no code.
        expect(await context({ decisionToken: await sign('deny', { stepUpId: 'su-1' }), method: 'email_otp' })).toBe(
          false,
        );
        expect(await context({ decisionToken: await sign('step_up', {}, BOB.userName), method: 'email_otp' })).toBe(
          false,
        );
        expect(
          await context({
            decisionToken: await sign('step_up', { key: new Uint8Array(32).fill(1) }),
            method: 'email_otp',
          }),
        ).toBe(false);
        expect(
          await context({ decisionToken: await sign('step_up', { issuer: 'stepgate:other' }), method: 'email_otp' }),
        ).toBe(false);
        h.store.stepUps.set('su-2', pendingStepUp({ stepUpId: 'su-2' }));
        expect(await context({ decisionToken: await sign('step_up'), stepUpId: 'su-2', method: 'email_otp' })).toBe(
          false,
        );
        const token = await sign('step_up');
        h.state.now += 10 * 60_000;
        h.store.stepUps.set('su-1', pendingStepUp({ expiresAt: h.state.now + 60_000 }));
        expect(await context({ decisionToken: token, method: 'email_otp' })).toBe(false);
      });

      it('passes the context round for a user that does not exist exactly like for one that does', async () => {
        h.store.stepUps.set('su-ghost', pendingStepUp({ stepUpId: 'su-ghost', userId: 'ghost@example.com' }));
        const token = await decisionTokenFor('ghost@example.com', 'step_up', h.state.now, { stepUpId: 'su-ghost' });
        const ghost = { user: { ...ALICE, userName: 'ghost@example.com' }, userNotFound: true };
        expect(await context({ decisionToken: token, method: 'email_otp' }, ghost)).toBe(true);
      });
    });
  });

  describe('code round', () => {
    it('passes the right code once and turns the step-up into a grant', async () => {
      const id = await issue();
      expect(await answer(id, '482913')).toBe(true);
      expect(h.store.stepUps.get('su-1')).toMatchObject({
        status: 'granted',
        grantedAt: T0,
        grantedMethod: 'email_otp',
        grantedChallengeId: id,
      });
      expect(h.audit.events.map((e) => `${e.kind}:${e.outcome}`)).toEqual([
        'step_up.challenge_issued:issued',
        'grant.issued:granted',
        'step_up.verification:pass',
      ]);
      expect(JSON.stringify(h.audit.events)).not.toContain('482913');
      expect(h.verifications).toEqual(['pass']);
    });

    it('accepts a pasted code with spaces', async () => {
      expect(await answer(await issue(), ' 482 913 ')).toBe(true);
    });

    it('refuses a replayed code (single use)', async () => {
      const id = await issue();
      expect(await answer(id, '482913')).toBe(true);
      expect(await answer(id, '482913')).toBe(false);
    });

    it('counts a wrong code against the challenge and the user budget, and allows a retry while tries remain', async () => {
      const id = await issue();
      expect(await answer(id, '000000')).toBe(false);
      expect(h.store.challenges.get(id)?.tries).toBe(1);
      expect(h.store.budgets.get(ALICE.userName)?.failures).toBe(1);
      expect(h.store.velocityFailures.get(ALICE.userName)).toBe(1);
      expect(await answer(id, '482913')).toBe(true);
      expect(h.audit.events.find((e) => e.outcome === 'fail')?.reasons).toEqual(['step_up.wrong_answer']);
    });

    it('refuses a fourth try even with the right code: tries are counted before comparing', async () => {
      const id = await issue();
      for (let i = 0; i < 3; i += 1) expect(await answer(id, '111111')).toBe(false);
      expect(await answer(id, '482913')).toBe(false);
      expect(h.store.challenges.get(id)?.tries).toBe(3);
      expect(h.store.stepUps.get('su-1')?.status).toBe('pending');
    });

    it('refuses the right code after the code expired', async () => {
      const id = await issue();
      h.state.now += CODE_TTL_MS;
      expect(await answer(id, '482913')).toBe(false);
      expect(h.store.stepUps.get('su-1')?.status).toBe('pending');
    });

    it("refuses another user's code: a challenge only verifies for the user it was issued to", async () => {
      const id = await issue();
      expect(await answer(id, '482913', { user: BOB })).toBe(false);
      expect(h.store.challenges.get(id)?.tries).toBe(0);
      expect(await answer(id, '482913')).toBe(true);
    });

    it('keeps the per-user failure budget across resends, and then refuses without comparing', async () => {
      let failures = 0;
      while (failures < USER_FAILURE_BUDGET.maxFailures) {
        const id = await issue();
        for (let i = 0; i < 3 && failures < USER_FAILURE_BUDGET.maxFailures; i += 1, failures += 1) {
          expect(await answer(id, '000000')).toBe(false);
        }
        h.state.now += RESEND_MIN_INTERVAL_MS;
        h.store.stepUps.set('su-1', { ...h.store.stepUps.get('su-1')!, resends: 0 });
      }
      expect(h.store.budgets.get(ALICE.userName)?.failures).toBe(USER_FAILURE_BUDGET.maxFailures);
      // A fresh challenge (made directly: the context round already refuses a locked user) still cannot pass.
      h.store.challenges.set('fresh', {
        ...h.store.challenges.get('ch-1')!,
        challengeId: 'fresh',
        codeHash: hashCode('482913', 'fresh', PEPPER),
        tries: 0,
        createdAt: h.state.now,
        expiresAt: h.state.now + CODE_TTL_MS,
      });
      expect(await answer('fresh', '482913')).toBe(false);
      expect(h.store.challenges.get('fresh')?.tries).toBe(0);
      expect(h.audit.events.at(-1)?.reasons).toEqual(['step_up.user_locked']);
      // The window ends, the budget comes back.
      h.state.now += USER_FAILURE_BUDGET.windowMs;
      h.store.stepUps.set('su-1', pendingStepUp({ expiresAt: h.state.now + 60_000 }));
      expect(await answer(await issue(), '482913')).toBe(true);
    });

    it('does not grant when the step-up expired meanwhile', async () => {
      const id = await issue();
      h.store.stepUps.set('su-1', { ...h.store.stepUps.get('su-1')!, expiresAt: h.state.now });
      expect(await answer(id, '482913')).toBe(false);
    });

    it('never passes a user that does not exist, even with the right code', async () => {
      h.store.stepUps.set('su-ghost', pendingStepUp({ stepUpId: 'su-ghost', userId: 'ghost@example.com' }));
      const ghost = { user: { ...ALICE, userName: 'ghost@example.com' }, userNotFound: true };
      const token = await decisionTokenFor('ghost@example.com', 'step_up', T0, { stepUpId: 'su-ghost' });
      const id = await issue({ ...ghost, clientMetadata: { decisionToken: token, method: 'email_otp' } });
      expect(h.sender.sent).toHaveLength(0);
      // The decoy's code is deterministic here; even guessing it right does not pass.
      expect(await answer(id, '482913', ghost)).toBe(false);
      expect(h.store.stepUps.get('su-ghost')?.status).toBe('pending');
    });

    it('answers false when the store fails at any point', async () => {
      const id = await issue();
      h.store.broken = true;
      expect(await answer(id, '482913')).toBe(false);
      expect(h.verifications).toEqual(['fail']);
    });

    it('never logs a code, an answer, a token or the pepper', async () => {
      const metadata = await stepUpMetadata(h);
      await context(metadata);
      const id = await issue({ clientMetadata: metadata });
      await answer(id, '000000');
      await answer(id, '482913');
      await h.define(
        defineEvent([CONTEXT_OK, codeEntry(id, false), codeEntry(id, true)], { clientMetadata: metadata }),
      );
      await h.preToken(preTokenEvent({ clientMetadata: metadata }));
      await h.postAuth(postAuthEvent({ clientMetadata: metadata }));
      const logged = JSON.stringify(h.logs);
      expect(h.logs.length).toBeGreaterThan(5);
      for (const secret of ['482913', '000000', metadata.accessToken, PEPPER]) expect(logged).not.toContain(secret);
    });

    it('refuses unknown and malformed challenge ids', async () => {
      expect(await answer('nope', '482913')).toBe(false);
      expect(await answer('../../etc', '482913')).toBe(false);
    });
  });

  describe('TOTP', () => {
    beforeEach(() => {
      h.store.totps.set(ALICE.userName, {
        userId: ALICE.userName,
        secret: TOTP_SECRET,
        status: 'active',
        createdAt: T0,
        confirmTries: 0,
      });
    });

    it('accepts the current code and one step of drift, not two', async () => {
      expect(await answer(await issue({ method: 'totp' }), generateTotp(TOTP_SECRET, h.state.now))).toBe(true);
      h.store.stepUps.set('su-2', pendingStepUp({ stepUpId: 'su-2' }));
      h.state.now += 60_000;
      const drift1 = await h.create(
        createEvent([CONTEXT_OK], { clientMetadata: await stepUpMetadata(h, { stepUpId: 'su-2', method: 'totp' }) }),
      );
      const id1 = drift1.response.privateChallengeParameters.challengeId as string;
      expect(await answer(id1, generateTotp(TOTP_SECRET, h.state.now - 60_000))).toBe(false); // two steps back
      expect(await answer(id1, generateTotp(TOTP_SECRET, h.state.now - 30_000))).toBe(true); // one step back
    });

    it('refuses a TOTP code already used, even in a new challenge', async () => {
      const code = generateTotp(TOTP_SECRET, h.state.now);
      expect(await answer(await issue({ method: 'totp' }), code)).toBe(true);
      h.store.stepUps.set('su-2', pendingStepUp({ stepUpId: 'su-2' }));
      const out = await h.create(
        createEvent([CONTEXT_OK], { clientMetadata: await stepUpMetadata(h, { stepUpId: 'su-2', method: 'totp' }) }),
      );
      expect(await answer(out.response.privateChallengeParameters.challengeId as string, code)).toBe(false);
    });
  });
});
