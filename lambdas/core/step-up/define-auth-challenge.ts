import { MAX_TRIES_PER_CHALLENGE } from './challenge-policy';

/**
 * Sequence logic for the Define Auth Challenge trigger.
 *
 * The session is Cognito's record of earlier rounds, but this function trusts nothing about its shape: it accepts
 * exactly one protocol and fails everything else. That protocol (DESIGN §5):
 *
 *   [SRP_A ✓, PASSWORD_VERIFIER ✓]?  CUSTOM_CHALLENGE/CONTEXT ✓  CUSTOM_CHALLENGE/CODE ✗ … CUSTOM_CHALLENGE/CODE ✓
 *
 * with at most MAX_TRIES_PER_CHALLENGE CODE rounds. Tokens are issued only after a CODE round passed and every
 * earlier entry is in order, so a session that claims a passed code without a passed context round (a forged or
 * corrupted session, or a bug in Verify) fails.
 */

export const CHALLENGE_METADATA = { CONTEXT: 'CONTEXT', CODE: 'CODE' } as const;

export type SessionEntry = { challengeName: string; challengeResult: boolean; challengeMetadata?: string };

export type DefineAuthChallengeOptions = {
  userNotFound: boolean;
  /**
   * When true the session must start with the SRP_A / PASSWORD_VERIFIER pair. When false or absent the pair is
   * allowed but not required.
   */
  passwordRequiredBeforeCustom?: boolean;
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
  | 'bad_password_prefix'
  | 'unexpected_challenge'
  | 'unknown_metadata'
  | 'context_not_first'
  | 'context_failed'
  | 'second_context'
  | 'code_passed_then_more'
  | 'too_many_codes'
  | 'user_not_found';

/** What the session means; `defineAuthChallenge` turns it into Cognito's response, handlers audit the reason. */
export type SessionEvaluation =
  | { outcome: 'challenge'; next: 'PASSWORD_VERIFIER' | 'CONTEXT' | 'CODE'; codeRounds: number }
  | { outcome: 'issue_tokens'; codeRounds: number }
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
  const first = rest[0];
  if (first && (first.challengeName === SRP_A || first.challengeName === PASSWORD_VERIFIER)) {
    if (first.challengeName !== SRP_A || first.challengeResult !== true) return fail('bad_password_prefix');
    const second = rest[1];
    if (!second) return { outcome: 'challenge', next: 'PASSWORD_VERIFIER', codeRounds: 0 };
    if (second.challengeName !== PASSWORD_VERIFIER || second.challengeResult !== true) {
      return fail('bad_password_prefix');
    }
    rest = rest.slice(2);
  } else if (opts.passwordRequiredBeforeCustom === true) {
    return fail('password_required');
  }

  // Round 1: CONTEXT, passed.
  const context = rest[0];
  if (!context) return { outcome: 'challenge', next: 'CONTEXT', codeRounds: 0 };
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
    return { outcome: 'issue_tokens', codeRounds: codes.length };
  }
  if (codes.length >= MAX_TRIES_PER_CHALLENGE) return fail('too_many_codes');
  return { outcome: 'challenge', next: 'CODE', codeRounds: codes.length };
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
