import { createHmac, timingSafeEqual } from 'node:crypto';
import { StepUpInternalError } from './step-up-errors';

/**
 * Uniform integer in [0, maxExclusive). The adapter passes `crypto.randomInt`; tests pass deterministic fakes.
 * Injected so this module stays free of hidden randomness.
 */
export type RandomInt = (maxExclusive: number) => number;

export const MIN_CODE_DIGITS = 6;
export const MAX_CODE_DIGITS = 10;
export const DEFAULT_CODE_DIGITS = 6;

/**
 * A pepper shorter than this is almost certainly a misconfiguration (an empty env var, a placeholder); with a
 * guessable pepper a stolen table lets anyone brute-force every stored code offline in a second.
 */
export const MIN_PEPPER_LENGTH = 16;

const CODE_PATTERN = new RegExp(`^[0-9]{${MIN_CODE_DIGITS},${MAX_CODE_DIGITS}}$`);
const HASH_PATTERN = /^[0-9a-f]{64}$/;

function clampDigits(digits: number): number {
  if (!Number.isInteger(digits)) return DEFAULT_CODE_DIGITS;
  return Math.min(MAX_CODE_DIGITS, Math.max(MIN_CODE_DIGITS, digits));
}

/**
 * A numeric one-time code, one `randomInt(10)` draw per digit. Drawing per digit (rather than one number in
 * [0, 10^n) formatted with padding) keeps the arithmetic obvious and the distribution uniform as long as the
 * injected source is. Out-of-range `digits` are clamped to [6, 10], so a caller can never get a short code.
 *
 * Throws a StepUpInternalError if the random source returns anything but an integer in [0, 9]: a broken source must not
 * silently produce predictable codes.
 */
export function generateCode(randomInt: RandomInt, digits: number = DEFAULT_CODE_DIGITS): string {
  const length = clampDigits(digits);
  let code = '';
  for (let i = 0; i < length; i += 1) {
    const digit = randomInt(10);
    if (!Number.isInteger(digit) || digit < 0 || digit > 9) {
      throw new StepUpInternalError('randomInt(10) returned a value outside 0..9');
    }
    code += String(digit);
  }
  return code;
}

/** Syntactic check only: 6 to 10 ASCII digits. */
export function isWellFormedCode(code: unknown): code is string {
  return typeof code === 'string' && CODE_PATTERN.test(code);
}

/**
 * HMAC-SHA256(pepper, challengeId + ':' + code), hex. Binding the hash to the challenge means a code issued for one
 * challenge (or user) never verifies against another, and a copied hash is useless elsewhere. The split on the
 * last ':' is unambiguous because a code is digits only, which is enforced here.
 *
 * Throws a StepUpInternalError on a malformed code or a short pepper: both are programming or configuration errors.
 */
export function hashCode(code: string, challengeId: string, pepper: string): string {
  if (!isWellFormedCode(code)) throw new StepUpInternalError('code must be 6 to 10 digits');
  if (typeof pepper !== 'string' || pepper.length < MIN_PEPPER_LENGTH) {
    throw new StepUpInternalError(`code pepper must be at least ${MIN_PEPPER_LENGTH} characters`);
  }
  return createHmac('sha256', pepper).update(`${challengeId}:${code}`, 'utf8').digest('hex');
}

/**
 * Constant-time comparison of a submitted code against the stored hash. Never throws: malformed input of any kind
 * (wrong length, non-digits, not a string, a corrupt stored hash, a bad pepper) is simply "no match".
 * Both sides are compared as 32-byte digests, so the comparison time does not depend on the submitted code.
 */
export function codesMatch(expectedHash: string, code: string, challengeId: string, pepper: string): boolean {
  if (typeof expectedHash !== 'string' || !HASH_PATTERN.test(expectedHash)) return false;
  if (typeof challengeId !== 'string' || challengeId.length === 0) return false;
  if (!isWellFormedCode(code)) return false;
  let actualHash: string;
  try {
    actualHash = hashCode(code, challengeId, pepper);
  } catch {
    return false;
  }
  const expected = Buffer.from(expectedHash, 'hex');
  const actual = Buffer.from(actualHash, 'hex');
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(expected, actual);
}
