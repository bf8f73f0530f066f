import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import goSample from '../../fixtures/cognito/aws-lambda-go-define-auth-challenge.json';
import powertoolsSample from '../../fixtures/cognito/powertools-define-auth-challenge-first-call.json';
import type { SessionEntry } from '../../../lambdas/core/step-up/define-auth-challenge';
import { buildDefineAuthChallengeHandler } from '../../../lambdas/handlers/triggers/define-auth-challenge';
import {
  ALICE,
  BOB,
  codeEntry,
  CONTEXT_OK,
  decisionTokenFor,
  decisionTokens,
  defineEvent,
  stepUpMetadata,
  T0,
  triggerHarness,
  type Harness,
} from './support';
import { silentLog } from '../../support/recording-log';

const SRP: SessionEntry = { challengeName: 'SRP_A', challengeResult: true };
const PASSWORD: SessionEntry = { challengeName: 'PASSWORD_VERIFIER', challengeResult: true };
const CHALLENGE = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
const TOKENS = { issueTokens: true, failAuthentication: false };
const FAIL = { issueTokens: false, failAuthentication: true };

describe('Define Auth Challenge trigger', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await triggerHarness();
  });

  it('answers the sample first call (empty session) with the context challenge', async () => {
    const out = await h.define(structuredClone(powertoolsSample) as unknown as DefineAuthChallengeTriggerEvent);
    expect(out.response).toEqual(CHALLENGE);
  });

  it('fails the aws-lambda-go sample (a PASSWORD_VERIFIER without SRP_A) and drops its placeholder response', async () => {
    const out = await h.define(structuredClone(goSample) as unknown as DefineAuthChallengeTriggerEvent);
    expect(out.response).toEqual(FAIL);
  });

  it.each<[string, SessionEntry[], object]>([
    ['context round first', [], CHALLENGE],
    ['a code round after the context passed', [CONTEXT_OK], CHALLENGE],
    ['another round after a wrong code', [CONTEXT_OK, codeEntry('c', false)], CHALLENGE],
    ['tokens after the right code', [CONTEXT_OK, codeEntry('c', false), codeEntry('c', true)], TOKENS],
    [
      'failure after three wrong codes',
      [CONTEXT_OK, codeEntry('c', false), codeEntry('c', false), codeEntry('c', false)],
      FAIL,
    ],
    ['failure when the context round failed', [{ ...CONTEXT_OK, challengeResult: false }], FAIL],
  ])("%s (a signed-in user's step-up)", async (_name, session, expected) => {
    const clientMetadata = await stepUpMetadata(h);
    expect((await h.define(defineEvent(session, { clientMetadata }))).response).toEqual(expected);
  });

  it('records the approval of a session it lets through, and refuses a second session under the same step-up', async () => {
    const clientMetadata = await stepUpMetadata(h);
    const passed = defineEvent([CONTEXT_OK, codeEntry('c', true)], { clientMetadata });
    expect((await h.define(passed)).response).toEqual(TOKENS);
    expect(h.store.approvals.get('step_up#su-1')).toMatchObject({
      userName: ALICE.userName,
      stepUpId: 'su-1',
      passwordVerified: false,
      approvedAt: T0,
    });
    // A retry of the same call is fine; once tokens were issued under the approval, nothing else gets it.
    expect((await h.define(passed)).response).toEqual(TOKENS);
    await h.store.claimForTokens({ kind: 'step_up', id: 'su-1', userName: ALICE.userName, now: T0, maxAgeMs: 60_000 });
    expect((await h.define(passed)).response).toEqual(FAIL);
  });

  it('fails a step-up whose later round swaps the access token for a forged, foreign or missing one', async () => {
    const session = [CONTEXT_OK, codeEntry('c', true)];
    const own = await stepUpMetadata(h);
    for (const clientMetadata of [
      { ...own, accessToken: `${own.accessToken!.slice(0, -4)}AAAA` },
      await stepUpMetadata(h, { tokenUser: BOB }),
      { stepUpId: 'su-1', method: 'email_otp' },
    ]) {
      expect((await h.define(defineEvent(session, { clientMetadata }))).response).toEqual(FAIL);
    }
    expect((await h.define(defineEvent(session))).response).toEqual(FAIL);
    expect(h.store.approvals.size).toBe(0);
  });

  it('never issues tokens for a session forged to claim a passed code without a passed context round', async () => {
    const forged: SessionEntry[][] = [
      [codeEntry('c', true)],
      [{ challengeName: 'CUSTOM_CHALLENGE', challengeResult: true }],
      [{ challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'CODE:x' }, codeEntry('c', true)],
      [CONTEXT_OK, CONTEXT_OK, codeEntry('c', true)],
      [CONTEXT_OK, codeEntry('c', true), codeEntry('c', true)],
      [{ challengeName: 'PASSWORD_VERIFIER', challengeResult: true }, CONTEXT_OK, codeEntry('c', true)],
    ];
    const clientMetadata = await stepUpMetadata(h);
    for (const session of forged) {
      expect((await h.define(defineEvent(session, { clientMetadata }))).response).toEqual(FAIL);
    }
  });

  it('never issues tokens for a user that does not exist, yet asks the same challenges until then', async () => {
    const clientMetadata = await stepUpMetadata(h);
    const ghost = { userNotFound: true, clientMetadata };
    expect((await h.define(defineEvent([], ghost))).response).toEqual(CHALLENGE);
    expect((await h.define(defineEvent([CONTEXT_OK], ghost))).response).toEqual(CHALLENGE);
    expect((await h.define(defineEvent([CONTEXT_OK, codeEntry('c', true)], ghost))).response).toEqual(FAIL);
  });

  it('fails a garbage session (not a list) instead of throwing', async () => {
    const event = defineEvent([]);
    (event.request as { session: unknown }).session = 'nonsense';
    expect((await h.define(event)).response).toEqual(FAIL);
  });

  describe('sign-in decisions (decision token in ClientMetadata)', () => {
    const metadata = async (decision: 'allow' | 'step_up' | 'deny', user = ALICE.userName) => ({
      decisionToken: await decisionTokenFor(user, decision, T0, decision === 'step_up' ? { stepUpId: 'su-1' } : {}),
      method: 'email_otp',
    });

    it('issues tokens after the context round for a signed allow, when the password was verified in this session', async () => {
      const event = defineEvent([SRP, PASSWORD, CONTEXT_OK], { clientMetadata: await metadata('allow') });
      expect((await h.define(event)).response).toEqual(TOKENS);
      expect(h.store.approvals.get('sign_in#dec-1')).toMatchObject({
        passwordVerified: true,
        userName: ALICE.userName,
      });
    });

    it('never lets a username-only sign-in reach tokens with a valid decision token (the password comes first)', async () => {
      const clientMetadata = await metadata('step_up');
      // Refused right after the context round: no code is ever sent for it...
      expect((await h.define(defineEvent([CONTEXT_OK], { clientMetadata }))).response).toEqual(FAIL);
      // ...and a session that somehow got further is refused too.
      for (const session of [
        [CONTEXT_OK, codeEntry('c', true)],
        [CONTEXT_OK, codeEntry('c', false), codeEntry('c', true)],
      ]) {
        expect((await h.define(defineEvent(session, { clientMetadata }))).response).toEqual(FAIL);
      }
      expect(h.store.approvals.size).toBe(0);
      // With the password proven first, the same decision goes on to the code.
      const withPassword = defineEvent([SRP, PASSWORD, CONTEXT_OK, codeEntry('c', true)], { clientMetadata });
      expect((await h.define(withPassword)).response).toEqual(TOKENS);
      expect(h.store.approvals.get('sign_in#dec-1')).toMatchObject({ passwordVerified: true, stepUpId: 'su-1' });
    });

    it('fails a signed allow without a verified password (a decision is not a credential)', async () => {
      const event = defineEvent([CONTEXT_OK], { clientMetadata: await metadata('allow') });
      expect((await h.define(event)).response).toEqual(FAIL);
    });

    it('fails an allow signed for someone else, or with another key', async () => {
      const other = defineEvent([SRP, PASSWORD, CONTEXT_OK], {
        clientMetadata: await metadata('allow', 'mallory@example.com'),
      });
      expect((await h.define(other)).response).toEqual(FAIL);
      const forged = defineEvent([SRP, PASSWORD, CONTEXT_OK], {
        clientMetadata: {
          decisionToken: await decisionTokenFor(ALICE.userName, 'allow', T0, { key: new Uint8Array(32).fill(9) }),
          method: 'email_otp',
        },
      });
      expect((await h.define(forged)).response).toEqual(FAIL);
    });

    it('asks for a code after the context round of a step_up decision', async () => {
      const event = defineEvent([SRP, PASSWORD, CONTEXT_OK], { clientMetadata: await metadata('step_up') });
      expect((await h.define(event)).response).toEqual(CHALLENGE);
    });
  });

  it('fails authentication when anything throws (here: the key cannot be loaded)', async () => {
    const broken = buildDefineAuthChallengeHandler({
      clock: () => T0,
      decisionTokens: { ...decisionTokens, key: () => Promise.reject(new Error('secrets unavailable')) },
      accessTokens: h.pool.accessTokens,
      approvals: h.store,
      log: silentLog,
    });
    const event = defineEvent([SRP, PASSWORD, CONTEXT_OK], {
      clientMetadata: { decisionToken: await decisionTokenFor(ALICE.userName, 'allow', T0), method: 'email_otp' },
    });
    expect((await broken(event)).response).toEqual(FAIL);
    h.store.broken = true;
    const storeDown = defineEvent([SRP, PASSWORD, CONTEXT_OK], {
      clientMetadata: { decisionToken: await decisionTokenFor(ALICE.userName, 'allow', T0), method: 'email_otp' },
    });
    expect((await h.define(storeDown)).response).toEqual(FAIL);
  });
});
