import { timingSafeEqual } from 'node:crypto';
import { totp as otplibTotp } from 'otplib';
import { HashAlgorithms, KeyEncodings, type CreateHmacKey } from 'otplib/core';
import { StepUpInternalError } from './step-up-errors';

/**
 * TOTP (RFC 6238) for enrolled authenticator apps. Secrets are RFC 4648 base32 without padding, the form
 * authenticator apps take in an otpauth:// URI.
 *
 * otplib computes the codes; this module owns the parts where otplib's defaults do not fit a server:
 * - time: otplib reads Date.now() unless `epoch` is given, so every call passes the injected `now`;
 * - key derivation: otplib's TOTP pads short keys to the RFC seed length, which authenticator apps do not do, so
 *   the key is handed to HMAC as-is (the RFC 6238 vectors use full-length seeds and pass either way);
 * - comparison: otplib compares with `===`; here every candidate step is compared in constant time;
 * - replay: the matched time step is returned so the adapter can refuse a step it has already accepted.
 */

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export type TotpOptions = {
  /** Steps either side of the current one that are accepted, for clock drift. 0..MAX_TOTP_WINDOW. */
  window?: number;
  digits?: number;
  algorithm?: TotpAlgorithm;
  stepSeconds?: number;
  /**
   * The last step already accepted for this enrolment. Steps at or before it are not accepted, so a code cannot be
   * replayed (nor an older one used after a newer one). The adapter must still record the new step with a
   * conditional write (`lastTimeStep < :step`), since two concurrent requests can both pass this check.
   */
  lastUsedTimeStep?: number;
};

export type TotpVerification = { ok: boolean; timeStep?: number };

/** Matches Google Authenticator and most apps; only SHA1/6/30 is universally supported by apps. */
export const TOTP_DEFAULTS = { digits: 6, algorithm: 'SHA1', stepSeconds: 30, window: 1 } as const;
/** Accepting more than ±2 steps (±60 s) widens the guessing window for little gain. */
export const MAX_TOTP_WINDOW = 2;
/** RFC 4226 §4 requires at least 128 bits and recommends 160. */
export const MIN_TOTP_SECRET_BYTES = 16;
export const DEFAULT_TOTP_SECRET_BYTES = 20;
const MAX_TOTP_SECRET_BYTES = 64;

const OTPLIB_ALGORITHM: Record<TotpAlgorithm, HashAlgorithms> = {
  SHA1: HashAlgorithms.SHA1,
  SHA256: HashAlgorithms.SHA256,
  SHA512: HashAlgorithms.SHA512,
};

const rawHmacKey: CreateHmacKey = (_algorithm, secret, encoding) => Buffer.from(secret, encoding).toString('hex');

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 base32. Case-insensitive; trailing '=' padding and spaces (apps show secrets in groups) are
 * ignored. Returns undefined for any other character, or for non-zero leftover bits (a truncated secret).
 */
export function base32Decode(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const clean = text.replace(/[\s]/g, '').replace(/=+$/, '').toUpperCase();
  if (clean.length === 0) return undefined;
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  if (buffer !== 0) return undefined;
  return Uint8Array.from(out);
}

/**
 * A new base32 secret from `bytes` random bytes (clamped to 16..64). The adapter passes `crypto.randomBytes`.
 * Throws a StepUpInternalError if the source returns the wrong number of bytes.
 */
export function generateTotpSecret(
  randomBytes: (size: number) => Uint8Array,
  bytes: number = DEFAULT_TOTP_SECRET_BYTES,
): string {
  const size = Number.isInteger(bytes)
    ? Math.min(MAX_TOTP_SECRET_BYTES, Math.max(MIN_TOTP_SECRET_BYTES, bytes))
    : DEFAULT_TOTP_SECRET_BYTES;
  const raw = randomBytes(size);
  if (!(raw instanceof Uint8Array) || raw.length !== size) {
    throw new StepUpInternalError(`randomBytes(${size}) returned the wrong number of bytes`);
  }
  return base32Encode(raw);
}

/** otpauth:// key URI (the QR code content) in the Google Authenticator key-URI format. */
export function totpUri(
  secret: string,
  account: string,
  issuer: string,
  opts: Pick<TotpOptions, 'digits' | 'algorithm' | 'stepSeconds'> = {},
): string {
  const generator = otplibTotp.clone({
    digits: opts.digits ?? TOTP_DEFAULTS.digits,
    step: opts.stepSeconds ?? TOTP_DEFAULTS.stepSeconds,
    algorithm: OTPLIB_ALGORITHM[opts.algorithm ?? TOTP_DEFAULTS.algorithm],
  });
  return generator.keyuri(account, issuer, secret.replace(/[\s=]/g, '').toUpperCase());
}

/** The RFC 6238 time step (T0 = 0) containing `now` (ms). */
export function totpTimeStep(now: number, stepSeconds: number = TOTP_DEFAULTS.stepSeconds): number {
  return Math.floor(now / 1000 / stepSeconds);
}

type Resolved = { digits: number; algorithm: TotpAlgorithm; stepSeconds: number; window: number };

function resolve(opts: TotpOptions): Resolved | undefined {
  const digits = opts.digits ?? TOTP_DEFAULTS.digits;
  const algorithm = opts.algorithm ?? TOTP_DEFAULTS.algorithm;
  const stepSeconds = opts.stepSeconds ?? TOTP_DEFAULTS.stepSeconds;
  const window = opts.window ?? TOTP_DEFAULTS.window;
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) return undefined;
  if (!(algorithm in OTPLIB_ALGORITHM)) return undefined;
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1) return undefined;
  if (!Number.isInteger(window) || window < 0 || window > MAX_TOTP_WINDOW) return undefined;
  return { digits, algorithm, stepSeconds, window };
}

function codeForStep(hexKey: string, timeStep: number, o: Resolved): string {
  const generator = otplibTotp.clone({
    algorithm: OTPLIB_ALGORITHM[o.algorithm],
    digits: o.digits,
    step: o.stepSeconds,
    epoch: timeStep * o.stepSeconds * 1000,
    encoding: KeyEncodings.HEX,
    createHmacKey: rawHmacKey,
  });
  return generator.generate(hexKey);
}

/**
 * The code for `now`. For enrolment checks in tests and the local emulator; the service itself only verifies.
 * Throws a StepUpInternalError for an undecodable secret or unsupported options.
 */
export function generateTotp(secret: string, now: number, opts: Omit<TotpOptions, 'window'> = {}): string {
  const key = base32Decode(secret);
  const o = resolve({ ...opts, window: 0 });
  if (!key || !o) throw new StepUpInternalError('invalid TOTP secret or options');
  return codeForStep(Buffer.from(key).toString('hex'), totpTimeStep(now, o.stepSeconds), o);
}

/**
 * Checks `code` against the steps around `now`. Never throws; a bad secret, bad options or a malformed code are
 * `{ ok: false }`. All candidate steps are computed and compared, so timing does not reveal which step matched.
 * When several steps match (a one-in-a-million collision) the latest is returned, so replay protection covers all.
 */
export function verifyTotp(secret: string, code: string, now: number, opts: TotpOptions = {}): TotpVerification {
  const o = resolve(opts);
  if (!o || !Number.isFinite(now)) return { ok: false };
  if (typeof code !== 'string' || code.length !== o.digits || !/^[0-9]+$/.test(code)) return { ok: false };
  const key = base32Decode(secret);
  if (!key || key.length === 0) return { ok: false };
  const hexKey = Buffer.from(key).toString('hex');
  const submitted = Buffer.from(code, 'utf8');
  const current = totpTimeStep(now, o.stepSeconds);
  let matched: number | undefined;
  for (let offset = -o.window; offset <= o.window; offset += 1) {
    const step = current + offset;
    if (step < 0) continue;
    const expected = Buffer.from(codeForStep(hexKey, step, o), 'utf8');
    const equal = expected.length === submitted.length && timingSafeEqual(expected, submitted);
    const fresh = opts.lastUsedTimeStep === undefined || step > opts.lastUsedTimeStep;
    if (equal && fresh) matched = step;
  }
  return matched === undefined ? { ok: false } : { ok: true, timeStep: matched };
}
