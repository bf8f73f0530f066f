import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import goSample from '../../fixtures/cognito/aws-lambda-go-create-auth-challenge.json';
import powertoolsSample from '../../fixtures/cognito/powertools-create-auth-challenge-first-call.json';
import {
  CODE_TTL_MS,
  MAX_RESENDS_PER_STEP_UP,
  RESEND_MIN_INTERVAL_MS,
} from '../../../lambdas/core/step-up/challenge-policy';
import { codesMatch } from '../../../lambdas/core/step-up/otp-code';
import {
  CHALLENGE_FAILED_MESSAGE,
  DELIVERY_FAILED_MESSAGE,
} from '../../../lambdas/handlers/triggers/create-auth-challenge';
import {
  ALICE,
  BOB,
  codeEntry,
  CONTEXT_OK,
  createEvent,
  decisionTokenFor,
  PASSWORD_PROVEN,
  PEPPER,
  pendingStepUp,
  stepUpMetadata,
  T0,
  triggerHarness,
  type Harness,
} from './support';

describe('Create Auth Challenge trigger', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await triggerHarness({ code: '482913' });
    h.store.stepUps.set('su-1', pendingStepUp());
  });

  const firstCode = async (metadata?: Record<string, string>, o: { userNotFound?: boolean } = {}) =>
    h.create(createEvent([CONTEXT_OK], { clientMetadata: metadata ?? (await stepUpMetadata(h)), ...o }));

  it('asks for the context first (the Powertools first-call sample), storing and sending nothing', async () => {
    const out = await h.create(structuredClone(powertoolsSample) as unknown as CreateAuthChallengeTriggerEvent);
    expect(out.response).toEqual({
      publicChallengeParameters: { step: 'context' },
      privateChallengeParameters: { step: 'context' },
      challengeMetadata: 'CONTEXT',
    });
    expect(h.store.challenges.size).toBe(0);
    expect(h.sender.sent).toHaveLength(0);
  });

  it('answers the aws-lambda-go sample (lone PASSWORD_VERIFIER) with a challenge nobody can pass', async () => {
    const out = await h.create(structuredClone(goSample) as unknown as CreateAuthChallengeTriggerEvent);
    expect(out.response.publicChallengeParameters).toMatchObject({ step: 'code', destination: '***' });
    expect(h.store.challenges.has(out.response.privateChallengeParameters.challengeId as string)).toBe(false);
    expect(h.sender.sent).toHaveLength(0);
  });

  it('sends a fresh code by e-mail, stores only its HMAC, and puts only the challenge id in the private parameters', async () => {
    const out = await firstCode();
    expect(out.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'email_otp',
      destination: 'a***@e***.com',
    });
    expect(out.response.privateChallengeParameters).toEqual({ challengeId: 'ch-1' });
    expect(out.response.challengeMetadata).toBe('CODE:ch-1');
    expect(JSON.stringify(out.response)).not.toContain('482913');

    expect(h.sender.sent).toEqual([
      { channel: 'email', to: 'alice@example.com', code: '482913', sentAt: T0, expiresAt: T0 + CODE_TTL_MS },
    ]);
    const stored = h.store.challenges.get('ch-1')!;
    expect(JSON.stringify(stored)).not.toContain('482913');
    expect(codesMatch(stored.codeHash!, '482913', 'ch-1', PEPPER)).toBe(true);
    expect(stored).toMatchObject({ userId: ALICE.userName, subjectId: ALICE.userName, stepUpId: 'su-1', tries: 0 });
    expect(stored.expiresAt - stored.createdAt).toBeLessThanOrEqual(5 * 60_000);
    expect(h.audit.events.map((e) => [e.kind, e.eventId])).toEqual([
      ['step_up.challenge_issued', 'challenge:ch-1:issued'],
    ]);
    expect(JSON.stringify(h.audit.events)).not.toContain('482913');
  });

  it('sends by SMS (masked number) to a verified phone', async () => {
    h.store.stepUps.set('su-1', pendingStepUp({ userId: BOB.userName }));
    const out = await h.create(
      createEvent([CONTEXT_OK], {
        user: BOB,
        clientMetadata: await stepUpMetadata(h, { user: BOB, method: 'sms_otp' }),
      }),
    );
    expect(out.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'sms_otp',
      destination: '+*******4455',
    });
    expect(h.sender.sent[0]).toMatchObject({ channel: 'sms', to: '+12223334455' });
  });

  it('asks for a TOTP code without sending anything or storing a hash', async () => {
    h.store.totps.set(ALICE.userName, {
      userId: ALICE.userName,
      secret: 'JBSWY3DPEHPK3PXP',
      status: 'active',
      createdAt: T0,
      confirmTries: 0,
    });
    const out = await firstCode(await stepUpMetadata(h, { method: 'totp' }));
    expect(out.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'totp',
      destination: 'authenticator app',
    });
    expect(h.sender.sent).toHaveLength(0);
    expect(h.store.challenges.get('ch-1')?.codeHash).toBeUndefined();
  });

  it('re-asks the same challenge after a wrong code, sending nothing new', async () => {
    await firstCode();
    const again = await h.create(
      createEvent([CONTEXT_OK, codeEntry('ch-1', false)], { clientMetadata: await stepUpMetadata(h) }),
    );
    expect(again.response.privateChallengeParameters).toEqual({ challengeId: 'ch-1' });
    expect(again.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'email_otp',
      destination: 'a***@e***.com',
    });
    expect(h.sender.sent).toHaveLength(1);
    expect(h.store.challenges.size).toBe(1);
  });

  it("does not reuse another user's challenge named in a session", async () => {
    await firstCode();
    const other = await h.create(
      createEvent([CONTEXT_OK, codeEntry('ch-1', false)], {
        user: BOB,
        clientMetadata: await stepUpMetadata(h, { user: BOB }),
      }),
    );
    expect(other.response.privateChallengeParameters.challengeId).not.toBe('ch-1');
    expect(other.response.publicChallengeParameters.destination).toBe('***');
  });

  it('a resend (new session for the same step-up) is a new challenge, limited in rate and number', async () => {
    await firstCode();
    // Too soon for another code: the new ceremony continues with the code already sent.
    expect((await firstCode()).response.privateChallengeParameters).toEqual({ challengeId: 'ch-1' });
    expect(h.sender.sent).toHaveLength(1);
    for (let i = 0; i < MAX_RESENDS_PER_STEP_UP; i += 1) {
      h.state.now += RESEND_MIN_INTERVAL_MS;
      expect((await firstCode()).response.publicChallengeParameters.destination).toBe('a***@e***.com');
    }
    h.state.now += RESEND_MIN_INTERVAL_MS;
    expect((await firstCode()).response.publicChallengeParameters.destination).toBe('***'); // limit reached
    expect(h.sender.sent).toHaveLength(1 + MAX_RESENDS_PER_STEP_UP);
    expect(new Set(h.sender.sent.map((m) => m.sentAt)).size).toBe(1 + MAX_RESENDS_PER_STEP_UP);
  });

  it('a concurrent ceremony that read the step-up before another one sent gets no second code (atomic reservation)', async () => {
    const before = pendingStepUp();
    await firstCode();
    // The second ceremony's read happened before the first one's send: it still sees no delivery.
    const read = h.store.getStepUp.bind(h.store);
    h.store.getStepUp = async (id: string) => {
      h.store.getStepUp = read; // stale only for this one read
      return (await read(id)) ? { ...before } : undefined;
    };
    const second = await firstCode();
    expect(second.response.privateChallengeParameters).toEqual({ challengeId: 'ch-1' });
    expect(h.sender.sent).toHaveLength(1);
  });

  it('a retried Create (Cognito retries a slow trigger) continues with the same challenge and sends once', async () => {
    const event = createEvent([CONTEXT_OK], { clientMetadata: await stepUpMetadata(h) });
    const first = await h.create(structuredClone(event));
    const retried = await h.create(structuredClone(event));
    expect(retried.response).toEqual(first.response);
    expect(h.sender.sent).toHaveLength(1);
    // Not once the latest challenge is spent: then there is nothing to continue with.
    h.store.challenges.set('ch-1', { ...h.store.challenges.get('ch-1')!, tries: 3 });
    expect((await h.create(structuredClone(event))).response.publicChallengeParameters.destination).toBe('***');
  });

  it('sends nothing for a user that does not exist, yet answers alike and takes about as long', async () => {
    const metadata = {
      decisionToken: await decisionTokenFor('ghost@example.com', 'step_up', T0, { stepUpId: 'su-ghost' }),
      method: 'email_otp',
    };
    h.store.stepUps.set('su-ghost', pendingStepUp({ stepUpId: 'su-ghost', userId: 'ghost@example.com' }));
    const event = createEvent([...PASSWORD_PROVEN, CONTEXT_OK], {
      user: { ...ALICE, userName: 'ghost@example.com' },
      userNotFound: true,
      clientMetadata: metadata,
    });
    const out = await h.create(event);
    expect(out.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'email_otp',
      destination: 'g***@e***.com',
    });
    expect(h.sender.sent).toHaveLength(0);
    expect(h.store.challenges.get('ch-1')).toBeDefined(); // the same writes as for a real user
    expect(h.sleeps).toHaveLength(1);
    expect(h.sleeps[0]).toBeGreaterThan(0);
  });

  it('never sends a code for a sign-in (decision token) whose session did not prove the password', async () => {
    const clientMetadata = {
      decisionToken: await decisionTokenFor(ALICE.userName, 'step_up', T0, { stepUpId: 'su-1' }),
      method: 'email_otp',
    };
    const out = await h.create(createEvent([CONTEXT_OK], { clientMetadata }));
    expect(out.response.publicChallengeParameters.destination).toBe('***');
    expect(h.sender.sent).toHaveLength(0);
    expect(h.store.challenges.size).toBe(0);
    const proven = await h.create(createEvent([...PASSWORD_PROVEN, CONTEXT_OK], { clientMetadata }));
    expect(proven.response.publicChallengeParameters.destination).toBe('a***@e***.com');
    expect(h.sender.sent).toHaveLength(1);
  });

  it("never sends a code when the binding does not check out (another user's access token)", async () => {
    const out = await firstCode(await stepUpMetadata(h, { tokenUser: BOB }));
    expect(out.response.publicChallengeParameters.destination).toBe('***');
    expect(h.sender.sent).toHaveLength(0);
    expect(h.store.challenges.size).toBe(0);
  });

  it('throws only deliberate, user-facing messages (Cognito relays them)', async () => {
    h.sender.failing = true;
    await expect(firstCode()).rejects.toThrow(DELIVERY_FAILED_MESSAGE);
    h.sender.failing = false;
    const metadata = await stepUpMetadata(h);
    h.store.broken = true;
    await expect(firstCode(metadata)).rejects.toThrow(CHALLENGE_FAILED_MESSAGE);
  });
});
