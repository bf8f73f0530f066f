import fc from 'fast-check';
import goSample from '../../fixtures/cognito/aws-lambda-go-define-auth-challenge.json';
import powertoolsSample from '../../fixtures/cognito/powertools-define-auth-challenge-first-call.json';
import {
  CHALLENGE_METADATA,
  buildCodeMetadata,
  defineAuthChallenge,
  evaluateSession,
  parseChallengeMetadata,
  type DefineAuthChallengeResult,
  type SessionCaller,
  type SessionEntry,
} from '../../../lambdas/core/step-up/define-auth-challenge';

const SRP: SessionEntry = { challengeName: 'SRP_A', challengeResult: true };
const PV: SessionEntry = { challengeName: 'PASSWORD_VERIFIER', challengeResult: true };
const ctx = (ok: boolean): SessionEntry => ({
  challengeName: 'CUSTOM_CHALLENGE',
  challengeResult: ok,
  challengeMetadata: 'CONTEXT',
});
const code = (ok: boolean, id = 'ch-1'): SessionEntry => ({
  challengeName: 'CUSTOM_CHALLENGE',
  challengeResult: ok,
  challengeMetadata: `CODE:${id}`,
});
const custom = (ok: boolean, challengeMetadata?: string): SessionEntry =>
  challengeMetadata === undefined
    ? { challengeName: 'CUSTOM_CHALLENGE', challengeResult: ok }
    : { challengeName: 'CUSTOM_CHALLENGE', challengeResult: ok, challengeMetadata };

const CHALLENGE: DefineAuthChallengeResult = {
  challengeName: 'CUSTOM_CHALLENGE',
  issueTokens: false,
  failAuthentication: false,
};
const TOKENS: DefineAuthChallengeResult = { issueTokens: true, failAuthentication: false };
const FAIL: DefineAuthChallengeResult = { issueTokens: false, failAuthentication: true };
const PASSWORD: DefineAuthChallengeResult = {
  challengeName: 'PASSWORD_VERIFIER',
  issueTokens: false,
  failAuthentication: false,
};

/** A signed-in user's step-up: the caller that may go without the password. */
const real = { userNotFound: false, caller: 'signed_in_user' } as const;
const ghost = { userNotFound: true, caller: 'signed_in_user' } as const;

describe('defineAuthChallenge: the protocol', () => {
  it.each<[string, SessionEntry[], DefineAuthChallengeResult]>([
    ['first call: the CONTEXT round', [], CHALLENGE],
    ['context passed: the first CODE round', [ctx(true)], CHALLENGE],
    ['one wrong code: another CODE round', [ctx(true), code(false)], CHALLENGE],
    ['two wrong codes: a last CODE round', [ctx(true), code(false), code(false)], CHALLENGE],
    ['right code first time', [ctx(true), code(true)], TOKENS],
    ['right code second time', [ctx(true), code(false), code(true)], TOKENS],
    ['right code third time', [ctx(true), code(false), code(false), code(true)], TOKENS],
    ['bare CODE metadata', [ctx(true), custom(false, 'CODE'), custom(true, 'CODE')], TOKENS],
    ['three wrong codes: failed', [ctx(true), code(false), code(false), code(false)], FAIL],
    ['password-first: SRP_A asks for the password', [SRP], PASSWORD],
    ['password-first: then the CONTEXT round', [SRP, PV], CHALLENGE],
    ['password-first: then a CODE round', [SRP, PV, ctx(true)], CHALLENGE],
    ['password-first: tokens after the code', [SRP, PV, ctx(true), code(false), code(true)], TOKENS],
  ])('%s', (_label, session, expected) => {
    expect(defineAuthChallenge(session, real)).toEqual(expected);
  });
});

describe('defineAuthChallenge: forged, corrupted and out-of-order sessions fail', () => {
  it.each<[string, unknown[]]>([
    ['a passed CODE without CONTEXT', [code(true)]],
    ['a passed CODE after a failed CONTEXT', [ctx(false), code(true)]],
    ['a failed CONTEXT', [ctx(false)]],
    ['CONTEXT not first', [code(false), ctx(true), code(true)]],
    ['CONTEXT not first (after a passed CODE)', [code(true), ctx(true)]],
    ['a second CONTEXT', [ctx(true), ctx(true), code(true)]],
    ['a second CONTEXT after a code', [ctx(true), code(false), ctx(true), code(true)]],
    ['a passed CODE followed by more', [ctx(true), code(true), code(true)]],
    ['a passed CODE followed by a failed one', [ctx(true), code(true), code(false)]],
    ['a fourth CODE', [ctx(true), code(false), code(false), code(false), code(true)]],
    ['many CODE rounds', [ctx(true), ...Array.from({ length: 20 }, () => code(false)), code(true)]],
    ['unknown metadata', [ctx(true), custom(true, 'OTP')]],
    ['missing metadata on a code', [ctx(true), custom(true)]],
    ['missing metadata on the context', [custom(true), code(true)]],
    ['lower-case metadata', [ctx(true), custom(true, 'code')]],
    ['CODE: with no id', [ctx(true), custom(true, 'CODE:')]],
    ['CODE: with a bad id', [ctx(true), custom(true, 'CODE:a b')]],
    ['CONTEXT with trailing space', [custom(true, 'CONTEXT '), code(true)]],
    ['CONTEXT:suffix', [custom(true, 'CONTEXT:x'), code(true)]],
    ['a non-custom challenge', [{ challengeName: 'SMS_MFA', challengeResult: true }]],
    [
      'a non-custom challenge between rounds',
      [ctx(true), { challengeName: 'SOFTWARE_TOKEN_MFA', challengeResult: true }, code(true)],
    ],
    [
      'a non-custom challenge at the end',
      [ctx(true), code(false), { challengeName: 'SMS_MFA', challengeResult: true }],
    ],
    ['lower-case challenge name', [{ ...ctx(true), challengeName: 'custom_challenge' }, code(true)]],
    [
      'ADMIN_NO_SRP_AUTH prefix',
      [{ challengeName: 'ADMIN_NO_SRP_AUTH', challengeResult: true }, ctx(true), code(true)],
    ],
    ['a lone PASSWORD_VERIFIER', [PV, ctx(true), code(true)]],
    ['PASSWORD_VERIFIER before SRP_A', [PV, SRP, ctx(true), code(true)]],
    ['a failed SRP_A', [{ ...SRP, challengeResult: false }, PV, ctx(true), code(true)]],
    ['a failed PASSWORD_VERIFIER', [SRP, { ...PV, challengeResult: false }, ctx(true), code(true)]],
    ['SRP_A then something else', [SRP, ctx(true), code(true)]],
    ['the password pair twice', [SRP, PV, SRP, PV, ctx(true), code(true)]],
    ['the password pair after CONTEXT', [ctx(true), SRP, PV, code(true)]],
    [
      'a string challengeResult',
      [
        { ...ctx(true), challengeResult: 'true' },
        { ...code(true), challengeResult: 'true' },
      ],
    ],
    ['a null entry', [ctx(true), null]],
    ['a non-object entry', [ctx(true), 'CODE']],
  ])('%s', (_label, session) => {
    expect(defineAuthChallenge(session as SessionEntry[], real)).toEqual(FAIL);
    expect(defineAuthChallenge(session as SessionEntry[], ghost)).toEqual(FAIL);
  });

  it.each<unknown>([null, undefined, 'session', {}, 42])('a session that is not a list (%p)', (session) => {
    expect(defineAuthChallenge(session as SessionEntry[], real)).toEqual(FAIL);
  });

  it('explains why it failed', () => {
    expect(evaluateSession([code(true)], real)).toEqual({ outcome: 'fail', reason: 'context_not_first' });
    expect(evaluateSession([ctx(false)], real)).toEqual({ outcome: 'fail', reason: 'context_failed' });
    expect(evaluateSession([ctx(true), ctx(true)], real)).toEqual({ outcome: 'fail', reason: 'second_context' });
    expect(evaluateSession([ctx(true), code(true), code(false)], real)).toEqual({
      outcome: 'fail',
      reason: 'code_passed_then_more',
    });
    expect(evaluateSession([ctx(true), code(false), code(false), code(false)], real)).toEqual({
      outcome: 'fail',
      reason: 'too_many_codes',
    });
    expect(evaluateSession([ctx(true), custom(true, 'X')], real)).toEqual({
      outcome: 'fail',
      reason: 'unknown_metadata',
    });
    expect(evaluateSession([PV], real)).toEqual({ outcome: 'fail', reason: 'bad_password_prefix' });
    expect(evaluateSession([ctx(true), code(true)], ghost)).toEqual({ outcome: 'fail', reason: 'user_not_found' });
  });

  it('tells Create which round comes next', () => {
    const challenge = { outcome: 'challenge', passwordVerified: false };
    expect(evaluateSession([], real)).toEqual({ ...challenge, next: 'CONTEXT', codeRounds: 0 });
    expect(evaluateSession([ctx(true)], real)).toEqual({ ...challenge, next: 'CODE', codeRounds: 0 });
    expect(evaluateSession([ctx(true), code(false)], real)).toEqual({ ...challenge, next: 'CODE', codeRounds: 1 });
    expect(evaluateSession([SRP, PV, ctx(true)], real)).toEqual({
      ...challenge,
      next: 'CODE',
      codeRounds: 0,
      passwordVerified: true,
    });
  });
});

describe('defineAuthChallenge: unknown users', () => {
  it('get exactly the same challenges as real users', () => {
    for (const session of [
      [],
      [ctx(true)],
      [ctx(true), code(false)],
      [ctx(true), code(false), code(false)],
      [SRP],
      [SRP, PV],
    ]) {
      expect(defineAuthChallenge(session, ghost)).toEqual(defineAuthChallenge(session, real));
    }
  });

  it('never get tokens', () => {
    expect(defineAuthChallenge([ctx(true), code(true)], ghost)).toEqual(FAIL);
    expect(defineAuthChallenge([SRP, PV, ctx(true), code(false), code(true)], ghost)).toEqual(FAIL);
  });
});

describe('defineAuthChallenge: a step-up adds to the password, never stands in for it', () => {
  const signIn = { userNotFound: false, caller: 'sign_in' } as const;
  const unverified = { userNotFound: false, caller: 'unverified' } as const;

  it('fails a sign-in (decision token) that did not start with a verified password, before any code is sent', () => {
    expect(defineAuthChallenge([], signIn)).toEqual(CHALLENGE);
    expect(evaluateSession([ctx(true)], signIn)).toEqual({ outcome: 'fail', reason: 'password_required' });
    expect(defineAuthChallenge([ctx(true), code(false)], signIn)).toEqual(FAIL);
    expect(defineAuthChallenge([ctx(true), code(true)], signIn)).toEqual(FAIL);
  });

  it('lets the same sign-in through once SRP_A and PASSWORD_VERIFIER passed', () => {
    expect(defineAuthChallenge([SRP], signIn)).toEqual(PASSWORD);
    expect(defineAuthChallenge([SRP, PV], signIn)).toEqual(CHALLENGE);
    expect(defineAuthChallenge([SRP, PV, ctx(true)], signIn)).toEqual(CHALLENGE);
    expect(evaluateSession([SRP, PV, ctx(true), code(true)], signIn)).toEqual({
      outcome: 'issue_tokens',
      codeRounds: 1,
      passwordVerified: true,
    });
  });

  it('fails any session whose rounds do not verifiably come from a signed-in user or a signed decision', () => {
    expect(defineAuthChallenge([], unverified)).toEqual(CHALLENGE);
    expect(defineAuthChallenge([SRP, PV], unverified)).toEqual(CHALLENGE);
    expect(evaluateSession([SRP, PV, ctx(true)], unverified)).toEqual({ outcome: 'fail', reason: 'unverified_caller' });
    expect(defineAuthChallenge([ctx(true), code(true)], unverified)).toEqual(FAIL);
    expect(defineAuthChallenge([SRP, PV, ctx(true), code(true)], unverified)).toEqual(FAIL);
  });

  it("lets a signed-in user's step-up go without the password", () => {
    expect(evaluateSession([ctx(true), code(true)], real)).toEqual({
      outcome: 'issue_tokens',
      codeRounds: 1,
      passwordVerified: false,
    });
  });
});

describe('defineAuthChallenge: sample events (test/fixtures/cognito)', () => {
  it('aws-lambda-go: a lone PASSWORD_VERIFIER session is refused', () => {
    const { session, userNotFound } = goSample.request;
    expect(defineAuthChallenge(session, { userNotFound, caller: 'sign_in' })).toEqual(FAIL);
  });

  it('powertools: the first call gets the CONTEXT challenge', () => {
    const { session } = powertoolsSample.request;
    expect(defineAuthChallenge(session as SessionEntry[], { userNotFound: false, caller: 'unverified' })).toEqual(
      CHALLENGE,
    );
    expect(evaluateSession(session as SessionEntry[], real)).toMatchObject({ next: 'CONTEXT' });
  });
});

describe('defineAuthChallenge: property', () => {
  const entry = fc.oneof(
    fc.constant(SRP),
    fc.constant(PV),
    fc.constant({ ...SRP, challengeResult: false }),
    fc.constant({ ...PV, challengeResult: false }),
    fc.boolean().map(ctx),
    fc.boolean().map((ok) => code(ok)),
    fc.boolean().map((ok) => custom(ok, 'CODE')),
    fc.boolean().map((ok) => custom(ok, 'OTHER')),
    fc.boolean().map((ok) => custom(ok)),
    fc.boolean().map((ok) => ({ challengeName: 'SMS_MFA', challengeResult: ok })),
  );

  /** Independent statement of when tokens may be issued. */
  function shouldIssue(session: SessionEntry[], caller: SessionCaller): boolean {
    const rest = session[0]?.challengeName === 'SRP_A' ? session.slice(2) : session;
    if (rest !== session) {
      const [a, b] = session;
      if (!(a?.challengeResult === true && b?.challengeName === 'PASSWORD_VERIFIER' && b.challengeResult === true)) {
        return false;
      }
    }
    if (caller === 'unverified') return false;
    if (caller === 'sign_in' && rest === session) return false;
    const isCode = (e: SessionEntry | undefined) =>
      e?.challengeName === 'CUSTOM_CHALLENGE' && parseChallengeMetadata(e.challengeMetadata)?.kind === 'CODE';
    const [first, ...codes] = rest;
    if (!(
      first?.challengeName === 'CUSTOM_CHALLENGE' &&
      first.challengeMetadata === 'CONTEXT' &&
      first.challengeResult
    )) {
      return false;
    }
    if (codes.length < 1 || codes.length > 3 || !codes.every(isCode)) return false;
    return codes.every((c, i) => c.challengeResult === (i === codes.length - 1));
  }

  it('issues tokens exactly for well-formed passed sessions, and never for unknown users', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom<SessionCaller>('signed_in_user', 'sign_in', 'unverified'),
        (session, userNotFound, caller) => {
          const result = defineAuthChallenge(session, { userNotFound, caller });
          expect(result.issueTokens).toBe(!userNotFound && shouldIssue(session, caller));
          expect(result.issueTokens && result.failAuthentication).toBe(false);
          if (result.issueTokens || result.failAuthentication) expect(result.challengeName).toBeUndefined();
          else expect(result.challengeName).toBeDefined();
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('challenge metadata helpers', () => {
  it('builds and parses CODE:<id>', () => {
    expect(CHALLENGE_METADATA).toEqual({ CONTEXT: 'CONTEXT', CODE: 'CODE' });
    const meta = buildCodeMetadata('01JABCDEF-xyz_9');
    expect(meta).toBe('CODE:01JABCDEF-xyz_9');
    expect(parseChallengeMetadata(meta)).toEqual({ kind: 'CODE', challengeId: '01JABCDEF-xyz_9' });
    expect(parseChallengeMetadata('CODE')).toEqual({ kind: 'CODE' });
    expect(parseChallengeMetadata('CONTEXT')).toEqual({ kind: 'CONTEXT' });
  });

  it('refuses ids that would not round-trip', () => {
    expect(buildCodeMetadata('')).toBeUndefined();
    expect(buildCodeMetadata('a:b')).toBeUndefined();
    expect(buildCodeMetadata('x'.repeat(129))).toBeUndefined();
    expect(parseChallengeMetadata('CODE:a:b')).toBeUndefined();
    expect(parseChallengeMetadata(undefined)).toBeUndefined();
    expect(parseChallengeMetadata(42)).toBeUndefined();
  });
});
