import { createHash, createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';
import { StepgateError } from '../errors';
import { canonicalJson } from './canonical-json';
import { GENESIS_HASH, type AnchoredHead } from './hash-chain';

/**
 * Signed checkpoints: the audit trail's anchor outside its table.
 *
 * A checkpoint records, at one instant, every chain's head (id, sequence number, hash and the head record's
 * expiry), the number of records appended to them, and the hash of the previous checkpoint, so checkpoints form a
 * chain of their own. Its payload is the canonical JSON (canonical-json.ts, RFC 8785 for these values) of a
 * {@link Checkpoint}; the signature is ECDSA P-256 over SHA-256 of the payload's UTF-8 bytes, DER-encoded, as
 * AWS KMS returns it for `ECDSA_SHA_256` and as `openssl dgst -sha256 -verify` checks it. The stored object is
 * {@link SignedCheckpoint} as JSON; the payload is kept as the exact string that was signed, so it can be checked
 * by hand without re-encoding anything.
 */
export const CHECKPOINT_FORMAT = 'stepgate.audit-checkpoint/1';
export const CHECKPOINT_ALGORITHM = 'ECDSA_SHA_256';

export interface CheckpointChain extends AnchoredHead {
  readonly id: string;
}

export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** What is anchored: the audit table's name. */
  readonly trail: string;
  /** 1, 2, 3, … without gaps. */
  readonly seq: number;
  /** When it was taken (UTC ISO-8601). */
  readonly at: string;
  /** SHA-256 (hex) of the previous checkpoint's payload; 64 zeros for the first. */
  readonly prev: string;
  /** Records appended to the anchored chains: the sum of their head sequence numbers. */
  readonly records: number;
  /** Every chain, sorted by id. */
  readonly chains: readonly CheckpointChain[];
  /**
   * Chains whose stored state did not extend their previous anchor when this checkpoint was taken (a record
   * rewritten, deleted or moved): their entry repeats the previous anchor, so the damage stays visible.
   */
  readonly flagged: readonly string[];
}

/** The stored object. */
export interface SignedCheckpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** canonicalJson(checkpoint): exactly the bytes that were signed. */
  readonly payload: string;
  readonly algorithm: typeof CHECKPOINT_ALGORITHM;
  /** The signing key (a KMS key ARN, or `local:` + the local public key's SHA-256). */
  readonly keyId: string;
  /** Base64 of the DER-encoded ECDSA signature. */
  readonly signature: string;
}

/** A stored checkpoint that cannot be trusted: unreadable, badly signed, or out of line with its neighbours. */
export class CheckpointInvalidError extends StepgateError {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super('checkpoint_invalid', `checkpoint ${seq}: ${message}`);
  }
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const positiveInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const checkpointSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  trail: z.string().min(1).max(255),
  seq: positiveInt,
  at: z.iso.datetime(),
  prev: hex64,
  records: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  chains: z.array(
    z.strictObject({
      id: z.string().min(1).max(128),
      seq: positiveInt,
      hash: hex64,
      expiresAt: z.number().int().min(0).optional(),
    }),
  ),
  flagged: z.array(z.string().min(1).max(128)),
});
const signedSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  payload: z.string().min(2),
  algorithm: z.literal(CHECKPOINT_ALGORITHM),
  keyId: z.string().min(1).max(2048),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
});

/** The payload to sign: canonical JSON with chains sorted by id, so equal checkpoints encode alike. */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  const chains = [...checkpoint.chains].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const flagged = [...new Set(checkpoint.flagged)].sort();
  return canonicalJson({ ...checkpoint, chains, flagged });
}

/** SHA-256 (hex) of a checkpoint's payload: what the next checkpoint names as `prev`. */
export function checkpointDigest(payload: string): string {
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/** The stored object's text: one JSON object, keys in a fixed order, a final newline. */
export function checkpointObjectText(signed: SignedCheckpoint): string {
  const { format, payload, algorithm, keyId, signature } = signed;
  return `${JSON.stringify({ format, payload, algorithm, keyId, signature }, null, 2)}\n`;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signed: SignedCheckpoint;
  /** checkpointDigest(payload). */
  readonly digest: string;
}

/**
 * Reads a stored checkpoint object and checks everything that needs no neighbour: its shape, that the payload is
 * canonical (so what was signed is what is read), its trail and sequence number, and its signature under
 * `publicKey` (SPKI DER of the one key checkpoints are signed with; the object's own keyId is not trusted).
 * Throws CheckpointInvalidError naming what is wrong.
 */
export function openCheckpoint(
  text: string,
  expected: { readonly seq: number; readonly trail: string },
  publicKey: Uint8Array,
): OpenedCheckpoint {
  const fail = (message: string): never => {
    throw new CheckpointInvalidError(expected.seq, message);
  };
  let signed: SignedCheckpoint;
  let checkpoint: Checkpoint;
  try {
    signed = signedSchema.parse(JSON.parse(text));
    checkpoint = checkpointSchema.parse(JSON.parse(signed.payload));
  } catch {
    return fail('not a stepgate checkpoint object');
  }
  if (encodeCheckpoint(checkpoint) !== signed.payload) fail('payload is not in canonical form');
  if (checkpoint.seq !== expected.seq) fail(`stored as checkpoint ${expected.seq} but says ${checkpoint.seq}`);
  if (checkpoint.trail !== expected.trail) fail(`anchors ${checkpoint.trail}, not ${expected.trail}`);
  if (!verifyCheckpointSignature(signed, publicKey)) fail('signature does not verify');
  return { checkpoint, signed, digest: checkpointDigest(signed.payload) };
}

/** Whether the signature is a valid ECDSA P-256 / SHA-256 signature of the payload under `publicKey` (SPKI DER). */
export function verifyCheckpointSignature(signed: SignedCheckpoint, publicKey: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
    return verify(
      'sha256',
      Buffer.from(signed.payload, 'utf8'),
      { key, dsaEncoding: 'der' },
      Buffer.from(signed.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** Whether `next` follows `previous` in the checkpoint chain (or is the first when there is none). */
export function followsCheckpoint(next: Checkpoint, previous: OpenedCheckpoint | undefined): boolean {
  if (!previous) return next.seq === 1 && next.prev === GENESIS_HASH;
  return next.seq === previous.checkpoint.seq + 1 && next.prev === previous.digest;
}

/** The anchored heads by chain id. */
export function anchorsOf(checkpoint: Checkpoint): ReadonlyMap<string, AnchoredHead> {
  return new Map(
    checkpoint.chains.map((c) => [
      c.id,
      { seq: c.seq, hash: c.hash, ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}) },
    ]),
  );
}
