import { createHash, createHmac, getDiffieHellman, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server half of the SRP-6a variant Amazon Cognito speaks in `USER_SRP_AUTH` and in `CUSTOM_AUTH` with
 * `CHALLENGE_NAME: SRP_A`, as its client SDKs (amazon-cognito-identity-js, Amplify, the SDKs' SRP helpers) compute
 * the other half:
 *
 * - the 3072-bit MODP group of RFC 3526 (OpenSSL's `modp15`), g = 2, k = H(N | g);
 * - x = H(salt | H(poolName + userIdForSrp + ":" + password)), v = g^x, where poolName is the part of the user pool
 *   id after the underscore;
 * - B = k·v + g^b, u = H(A | B), S = (A · v^u)^b, all mod N;
 * - the key is HKDF-SHA256(ikm = S, salt = u, info = "Caldera Derived Key"), 16 bytes;
 * - the client proves the password with HMAC-SHA256(key, poolName | userIdForSrp | secretBlock | timestamp),
 *   the timestamp in the "ddd MMM D HH:mm:ss UTC YYYY" form.
 *
 * Every H is SHA-256 over the bytes of the numbers in the SDKs' hex encoding (even length, with a leading 00 byte
 * when the top bit is set), so the byte strings hashed here are exactly the client's.
 */

const GROUP = getDiffieHellman('modp15');
const N = BigInt(`0x${GROUP.getPrime('hex')}`);
const G = 2n;

/** The SDKs' unambiguous hex of a non-negative integer: even length, a 00 byte before a set top bit. */
export function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** H over hex-encoded bytes, read back as an integer. */
function hashHex(hex: string): bigint {
  return BigInt(`0x${sha256(Buffer.from(hex, 'hex')).toString('hex')}`);
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

const K = hashHex(padHex(N) + padHex(G));
const INFO = Buffer.from('Caldera Derived Key', 'utf8');
/** `ddd MMM D HH:mm:ss UTC YYYY`, the day of the month without a leading zero. */
const TIMESTAMP =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC \d{4}$/;
/** A is below N (≤ 384 bytes); a little slack for a leading zero byte, nothing more. */
const MAX_PUBLIC_HEX = 2 * 386;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The pool name that goes into x and the signature: what follows the region in `us-east-1_AbC123`. */
export function poolNameOf(userPoolId: string): string {
  return userPoolId.split('_')[1] ?? '';
}

export interface SrpVerifier {
  /** Hex, as sent to the client in SALT. */
  readonly salt: string;
  readonly verifier: bigint;
}

/** What a user record keeps instead of the password: a random salt and v = g^x. */
export function createVerifier(
  poolName: string,
  userIdForSrp: string,
  password: string,
  salt = randomBytes(16),
): SrpVerifier {
  const saltHex = padHex(BigInt(`0x${salt.toString('hex')}`));
  const inner = sha256(`${poolName}${userIdForSrp}:${password}`).toString('hex');
  const x = hashHex(saltHex + inner);
  return { salt: saltHex, verifier: modPow(G, x, N) };
}

/** Parses the client's SRP_A; undefined when it is not hex, too long, or A mod N = 0 (which would fix the key). */
export function parsePublicValue(hex: string): bigint | undefined {
  if (hex.length === 0 || hex.length > MAX_PUBLIC_HEX || !HEX.test(hex)) return undefined;
  const value = BigInt(`0x${hex}`);
  return value % N === 0n ? undefined : value;
}

export interface SrpServerRound {
  /** Hex, as sent in SRP_B. */
  readonly serverPublic: string;
  readonly clientPublic: bigint;
  readonly serverPrivate: bigint;
  readonly salt: string;
  readonly verifier: bigint;
}

/** Picks b and computes B = k·v + g^b mod N (B mod N is never 0: a zero would be drawn again). */
export function startServerRound(clientPublic: bigint, credentials: SrpVerifier): SrpServerRound {
  for (;;) {
    const b = BigInt(`0x${randomBytes(32).toString('hex')}`);
    const B = (K * credentials.verifier + modPow(G, b, N)) % N;
    if (B !== 0n) {
      return {
        serverPublic: padHex(B),
        clientPublic,
        serverPrivate: b,
        salt: credentials.salt,
        verifier: credentials.verifier,
      };
    }
  }
}

export interface PasswordClaim {
  readonly poolName: string;
  readonly userIdForSrp: string;
  /** Base64, as issued in SECRET_BLOCK and echoed in PASSWORD_CLAIM_SECRET_BLOCK. */
  readonly secretBlock: string;
  readonly timestamp: string;
  /** Base64 PASSWORD_CLAIM_SIGNATURE. */
  readonly signature: string;
}

/**
 * Whether the claim proves knowledge of the password behind `round.verifier`. The whole computation runs for any
 * well-formed claim, matching or not, so a wrong password and an unknown user (a decoy verifier) take as long.
 */
export function verifyPasswordClaim(round: SrpServerRound, claim: PasswordClaim): boolean {
  if (!TIMESTAMP.test(claim.timestamp)) return false;
  if (!BASE64.test(claim.secretBlock) || !BASE64.test(claim.signature)) return false;
  const B = BigInt(`0x${round.serverPublic}`);
  const u = hashHex(padHex(round.clientPublic) + padHex(B));
  if (u === 0n) return false;
  const S = modPow((round.clientPublic * modPow(round.verifier, u, N)) % N, round.serverPrivate, N);
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(padHex(S), 'hex'), Buffer.from(padHex(u), 'hex'), INFO, 16));
  const expected = createHmac('sha256', key)
    .update(
      Buffer.concat([
        Buffer.from(claim.poolName, 'utf8'),
        Buffer.from(claim.userIdForSrp, 'utf8'),
        Buffer.from(claim.secretBlock, 'base64'),
        Buffer.from(claim.timestamp, 'utf8'),
      ]),
    )
    .digest();
  const given = Buffer.from(claim.signature, 'base64');
  // Hash both sides so the comparison takes the same time whatever the given length.
  return timingSafeEqual(sha256(expected), sha256(given)) && given.length === expected.length;
}
