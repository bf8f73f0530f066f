import { SignJWT, errors, jwtVerify, type KeyLike } from 'jose';
import { z } from 'zod';
import { StepUpInternalError } from './step-up-errors';

/**
 * Short-lived signed sign-in decisions. The app backend asks the decision API about `auth.sign_in` with the trusted
 * client IP and hands the token to its client, which relays it to Cognito in ClientMetadata. ClientMetadata is
 * client-controlled, so the triggers believe only what this signature covers, and only for the user it names.
 *
 * Hardening beyond the signature: an explicit `typ` header and a dedicated audience keep other JWTs signed with the
 * same key (access tokens, local tokens) from being accepted here; the accepted algorithm is fixed by the key type,
 * never taken from the token; lifetimes are capped at verification too.
 */

export const DECISION_TOKEN_AUDIENCE = 'stepgate:cognito-triggers';
export const DECISION_TOKEN_TYPE = 'stepgate-decision+jwt';
export const DECISION_TOKEN_ACTION = 'auth.sign_in';
export const DEFAULT_DECISION_TOKEN_TTL_SECONDS = 120;
/** A decision about one sign-in attempt should not outlive the attempt; a longer-lived token is refused. */
export const MAX_DECISION_TOKEN_TTL_SECONDS = 300;
/** Lambda clocks are NTP-synced; a few seconds covers the app backend's clock. */
export const DECISION_TOKEN_CLOCK_TOLERANCE_SECONDS = 5;
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS256_KEY_BYTES = 32;
/** Compact JWS of these claims is ~400 bytes; anything far larger is not ours and not worth parsing. */
export const MAX_DECISION_TOKEN_LENGTH = 4096;

export type DecisionTokenAlg = 'HS256' | 'ES256';
export type Decision = 'allow' | 'step_up' | 'deny';

export type DecisionTokenClaims = {
  /** The user the decision was made for: the Cognito username (or the id the app used for it). */
  sub: string;
  decisionId: string;
  decision: Decision;
  action: typeof DECISION_TOKEN_ACTION;
  stepUpId?: string;
  score: number;
  policyVersion: number;
};

export type VerifiedDecisionClaims = DecisionTokenClaims & { iat: number; exp: number };

export type DecisionTokenFailure =
  'missing' | 'bad_signature' | 'expired' | 'wrong_user' | 'malformed' | 'wrong_action';

export type DecisionTokenVerification =
  { ok: true; claims: VerifiedDecisionClaims } | { ok: false; reason: DecisionTokenFailure };

export type SignDecisionTokenOptions = {
  issuer: string;
  ttlSeconds?: number;
  /** ms since the epoch */
  now: number;
  alg: DecisionTokenAlg;
};

export type VerifyDecisionTokenOptions = {
  issuer: string;
  /**
   * The identifier(s) the trigger knows the user by. In pools where users sign in with an email alias, Cognito's
   * `userName` is an opaque id while the app asked about the email, so the handler may pass both; the token's `sub`
   * must equal one of them exactly.
   */
  expectedUsername: string | readonly string[];
  /** ms since the epoch */
  now: number;
};

const idSchema = z.string().min(1).max(256);

const claimsSchema = z.object({
  sub: idSchema,
  decisionId: idSchema,
  decision: z.enum(['allow', 'step_up', 'deny']),
  action: z.string().max(128),
  stepUpId: idSchema.optional(),
  score: z.number().min(0).max(100),
  policyVersion: z.number().int().nonnegative(),
  iat: z.number().int(),
  exp: z.number().int(),
});

function isHmacKey(key: KeyLike | Uint8Array): key is Uint8Array {
  return key instanceof Uint8Array;
}

/**
 * Signs a decision. Throws a StepUpInternalError for a TTL outside 1..MAX_DECISION_TOKEN_TTL_SECONDS or an HS256 key shorter
 * than 32 bytes, and jose's own errors for a key that does not fit `alg`: all are wiring mistakes to surface at once.
 */
export async function signDecisionToken(
  claims: DecisionTokenClaims,
  key: KeyLike | Uint8Array,
  opts: SignDecisionTokenOptions,
): Promise<string> {
  const ttl = opts.ttlSeconds ?? DEFAULT_DECISION_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_DECISION_TOKEN_TTL_SECONDS) {
    throw new StepUpInternalError(`ttlSeconds must be an integer in 1..${MAX_DECISION_TOKEN_TTL_SECONDS}`);
  }
  if (opts.alg === 'HS256' && (!isHmacKey(key) || key.length < MIN_HS256_KEY_BYTES)) {
    throw new StepUpInternalError(`HS256 needs a key of at least ${MIN_HS256_KEY_BYTES} bytes`);
  }
  const iat = Math.floor(opts.now / 1000);
  const payload: Record<string, unknown> = {
    decisionId: claims.decisionId,
    decision: claims.decision,
    action: claims.action,
    score: claims.score,
    policyVersion: claims.policyVersion,
  };
  if (claims.stepUpId !== undefined) payload.stepUpId = claims.stepUpId;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: opts.alg, typ: DECISION_TOKEN_TYPE })
    .setSubject(claims.sub)
    .setIssuer(opts.issuer)
    .setAudience(DECISION_TOKEN_AUDIENCE)
    .setJti(claims.decisionId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key);
}

function classify(error: unknown): DecisionTokenFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) {
    return 'bad_signature';
  }
  // Wrong issuer/audience/typ, iat too old or in the future, undecodable input: not a token we minted for this.
  if (
    error instanceof errors.JWTClaimValidationFailed ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return 'malformed';
  }
  // A key of the wrong type for the token's algorithm (jose throws TypeError) cannot have produced the signature.
  return 'bad_signature';
}

/** Verifies signature, type, issuer, audience, lifetime, action and user binding. Never throws. */
export async function verifyDecisionToken(
  token: string | undefined | null,
  key: KeyLike | Uint8Array,
  opts: VerifyDecisionTokenOptions,
): Promise<DecisionTokenVerification> {
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: 'missing' };
  if (token.length > MAX_DECISION_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  if (isHmacKey(key) && key.length < MIN_HS256_KEY_BYTES) return { ok: false, reason: 'bad_signature' };

  let payload: unknown;
  try {
    const result = await jwtVerify(token, key, {
      algorithms: [isHmacKey(key) ? 'HS256' : 'ES256'],
      issuer: opts.issuer,
      audience: DECISION_TOKEN_AUDIENCE,
      typ: DECISION_TOKEN_TYPE,
      currentDate: new Date(opts.now),
      clockTolerance: DECISION_TOKEN_CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_DECISION_TOKEN_TTL_SECONDS,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    });
    payload = result.payload;
  } catch (error) {
    return { ok: false, reason: classify(error) };
  }

  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const c = parsed.data;
  if (c.exp - c.iat > MAX_DECISION_TOKEN_TTL_SECONDS) return { ok: false, reason: 'malformed' };
  if (c.action !== DECISION_TOKEN_ACTION) return { ok: false, reason: 'wrong_action' };

  const expected: readonly string[] =
    typeof opts.expectedUsername === 'string' ? [opts.expectedUsername] : opts.expectedUsername;
  if (!expected.some((name) => typeof name === 'string' && name.length > 0 && name === c.sub)) {
    return { ok: false, reason: 'wrong_user' };
  }

  const claims: VerifiedDecisionClaims = {
    sub: c.sub,
    decisionId: c.decisionId,
    decision: c.decision,
    action: DECISION_TOKEN_ACTION,
    score: c.score,
    policyVersion: c.policyVersion,
    iat: c.iat,
    exp: c.exp,
  };
  if (c.stepUpId !== undefined) claims.stepUpId = c.stepUpId;
  return { ok: true, claims };
}
