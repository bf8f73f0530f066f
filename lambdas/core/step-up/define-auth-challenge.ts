import { MAX_TRIES_PER_CHALLENGE } from './challenge-policy';

/**
 * Sequence logic for the Define Auth Challenge trigger.
 *
 * The session is Cognito's record of earlier rounds, but this function trusts nothing about its shape: it accepts
 * exactly one protocol and fails everything else. That protocol:
 *
 *   [SRP_A ✓, PASSWORD_VERIFIER ✓]?  CUSTOM_CHALLENGE/CONTEXT ✓  CUSTOM_CHALLENGE/CODE ✗ … CUSTOM_CHALLENGE/CODE ✓
 *
 * with at most MAX_TRIES_PER_CHALLENGE CODE rounds. Tokens are issued only after a CODE round passed and every
 * earlier entry is in order, so a session that claims a passed code without a passed context round (a forged or
 * corrupted session, or a bug in Verify) fails.
 *
 * Whose ceremony it is decides whether the password pair is optional. Define cannot know on its first call (Cognito
 * does not forward InitiateAuth's ClientMetadata), so every session may start with the CONTEXT round; from the
 * call after it on, the round's ClientMetadata says who is asking (`caller`, verified by the handler):
 * - a signed-in user's step-up (a valid access token of this user) needs no password: it adds to a sign-in that
 *   already proved one;
 * - anything else (a sign-in with a decision token, or metadata that does not verify) must have started with
 *   SRP_A ✓ then PASSWORD_VERIFIER ✓, or it fails at once, before a code is sent.
 * A step-up must add to the password, never stand in for it.
 */

export const CHALLENGE_METADATA = { CONTEXT: 'CONTEXT', CODE: 'CODE' } as const;

export type SessionEntry = { challengeName: string; challengeResult: boolean; challengeMetadata?: string };

/**
 * Who the current round's ClientMetadata verifiably speaks for: `signed_in_user` (a valid access token of this
 * user: a step-up), `sign_in` (a valid decision token of this user), or `unverified` (nothing, or anything that
 * does not verify; also every call before the CONTEXT round was answered).
 */
export type SessionCaller = 'signed_in_user' | 'sign_in' | 'unverified';

export type DefineAuthChallengeOptions = {
  userNotFound: boolean;
  /**
   * `structure_only` reads the rounds without the caller rules: for Create Auth Challenge, which Cognito invokes
   * only after Define accepted the caller, and which checks the binding again itself.
   */
  caller: SessionCaller | 'structure_only';
};

export type DefineAuthChallengeResult = {
  /** PASSWORD_VERIFIER only answers a session that is exactly [SRP_A ✓] (password-first sign-in). */
  challengeName?: 'CUSTOM_CHALLENGE' | 'PASSWORD_VERIFIER';
  issueTokens: boolean;
  failAuthentication: boolean;
};

export type SessionFailureReason =
  | 'not_a_list'
  | 'bad_entry'
  | 'password_required'
  | 'unverified_caller'
  | 'bad_password_prefix'
  | 'unexpected_challenge'
  | 'unknown_metadata'
  | 'context_not_first'
  | 'context_failed'
  | 'second_context'
  | 'code_passed_then_more'
  | 'too_many_codes'
  | 'user_not_found';

/**
 * What the session means; `defineAuthChallenge` turns it into Cognito's response, handlers audit the reason.
 * `passwordVerified`: the session started with SRP_A ✓ then PASSWORD_VERIFIER ✓.
 */
export type SessionEvaluation =
  | {
      outcome: 'challenge';
      next: 'PASSWORD_VERIFIER' | 'CONTEXT' | 'CODE';
      codeRounds: number;
      passwordVerified: boolean;
    }
  | { outcome: 'issue_tokens'; codeRounds: number; passwordVerified: boolean }
  | { outcome: 'fail'; reason: SessionFailureReason };

const CHALLENGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export type ParsedChallengeMetadata = { kind: 'CONTEXT' } | { kind: 'CODE'; challengeId?: string };

/** `CODE:<challengeId>`; the id is restricted to [A-Za-z0-9_-]{1,128}. Returns undefined for any other id. */
export function buildCodeMetadata(challengeId: string): string | undefined {
  if (!CHALLENGE_ID_PATTERN.test(challengeId)) return undefined;
  return `${CHALLENGE_METADATA.CODE}:${challengeId}`;
}

/** Accepts exactly `CONTEXT`, `CODE` or `CODE:<challengeId>`; anything else is undefined (unknown). */
export function parseChallengeMetadata(metadata: unknown): ParsedChallengeMetadata | undefined {
  if (typeof metadata !== 'string') return undefined;
  if (metadata === CHALLENGE_METADATA.CONTEXT) return { kind: 'CONTEXT' };
  if (metadata === CHALLENGE_METADATA.CODE) return { kind: 'CODE' };
  const prefix = `${CHALLENGE_METADATA.CODE}:`;
  if (metadata.startsWith(prefix)) {
    const challengeId = metadata.slice(prefix.length);
    if (CHALLENGE_ID_PATTERN.test(challengeId)) return { kind: 'CODE', challengeId };
  }
  return undefined;
}

const CUSTOM = 'CUSTOM_CHALLENGE';
const SRP_A = 'SRP_A';
const PASSWORD_VERIFIER = 'PASSWORD_VERIFIER';
/** 2 password entries + CONTEXT + the CODE rounds: anything longer cannot be valid, whatever it contains. */
const MAX_SESSION_LENGTH = 3 + MAX_TRIES_PER_CHALLENGE;

function isEntry(value: unknown): value is SessionEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.challengeName === 'string' && typeof entry.challengeResult === 'boolean';
}

function fail(reason: SessionFailureReason): SessionEvaluation {
  return { outcome: 'fail', reason };
}

/**
 * Interprets the session. `userNotFound` does not change which challenges are issued (so responses do not reveal
 * whether the account exists); it only turns what would have been tokens into a failure.
 */
export function evaluateSession(session: readonly SessionEntry[], opts: DefineAuthChallengeOptions): SessionEvaluation {
  if (!Array.isArray(session)) return fail('not_a_list');
  const entries: readonly unknown[] = session;
  if (!entries.every(isEntry)) return fail('bad_entry');
  if (entries.length > MAX_SESSION_LENGTH) return fail('too_many_codes');

  let rest: readonly SessionEntry[] = entries;
  let passwordVerified = false;
  const first = rest[0];
  if (first && (first.challengeName === SRP_A || first.challengeName === PASSWORD_VERIFIER)) {
    if (first.challengeName !== SRP_A || first.challengeResult !== true) return fail('bad_password_prefix');
    const second = rest[1];
    if (!second) return { outcome: 'challenge', next: 'PASSWORD_VERIFIER', codeRounds: 0, passwordVerified };
    if (second.challengeName !== PASSWORD_VERIFIER || second.challengeResult !== true) {
      return fail('bad_password_prefix');
    }
    rest = rest.slice(2);
    passwordVerified = true;
  }

  // Round 1: CONTEXT, passed.
  const context = rest[0];
  if (!context) return { outcome: 'challenge', next: 'CONTEXT', codeRounds: 0, passwordVerified };
  // From here on the round's ClientMetadata is known: only a signed-in user's step-up may skip the password.
  if (opts.caller !== 'structure_only') {
    if (opts.caller === 'unverified') return fail('unverified_caller');
    if (!passwordVerified && opts.caller !== 'signed_in_user') return fail('password_required');
  }
  if (context.challengeName !== CUSTOM) return fail('unexpected_challenge');
  const contextMeta = parseChallengeMetadata(context.challengeMetadata);
  if (!contextMeta) return fail('unknown_metadata');
  if (contextMeta.kind !== 'CONTEXT') return fail('context_not_first');
  if (context.challengeResult !== true) return fail('context_failed');

  // Rounds 2..: CODE, all failed except possibly the last.
  const codes = rest.slice(1);
  for (let i = 0; i < codes.length; i += 1) {
    const entry = codes[i] as SessionEntry;
    if (entry.challengeName !== CUSTOM) return fail('unexpected_challenge');
    const meta = parseChallengeMetadata(entry.challengeMetadata);
    if (!meta) return fail('unknown_metadata');
    if (meta.kind === 'CONTEXT') return fail('second_context');
    if (entry.challengeResult === true && i < codes.length - 1) return fail('code_passed_then_more');
  }
  if (codes.length > MAX_TRIES_PER_CHALLENGE) return fail('too_many_codes');

  const last = codes[codes.length - 1];
  if (last?.challengeResult === true) {
    if (opts.userNotFound) return fail('user_not_found');
    return { outcome: 'issue_tokens', codeRounds: codes.length, passwordVerified };
  }
  if (codes.length >= MAX_TRIES_PER_CHALLENGE) return fail('too_many_codes');
  return { outcome: 'challenge', next: 'CODE', codeRounds: codes.length, passwordVerified };
}

/** The Define Auth Challenge response for `session`. Fails closed on anything `evaluateSession` does not accept. */
export function defineAuthChallenge(
  session: readonly SessionEntry[],
  opts: DefineAuthChallengeOptions,
): DefineAuthChallengeResult {
  const evaluation = evaluateSession(session, opts);
  switch (evaluation.outcome) {
    case 'issue_tokens':
      return { issueTokens: true, failAuthentication: false };
    case 'challenge':
      return {
        challengeName: evaluation.next === 'PASSWORD_VERIFIER' ? PASSWORD_VERIFIER : CUSTOM,
        issueTokens: false,
        failAuthentication: false,
      };
    default:
      return { issueTokens: false, failAuthentication: true };
  }
}
