/**
 * Where the audit trail is anchored outside its table: a signer (an asymmetric ECDSA P-256 key) and a store for
 * the signed checkpoint objects that nobody, the writer included, can overwrite or delete.
 */
export interface CheckpointSigner {
  /** Names the key beside each signature (a KMS key ARN, or `local:<public key SHA-256>`). */
  readonly keyId: string;
  /** ECDSA P-256 signature over SHA-256 of `message`, DER-encoded. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** The public key (SubjectPublicKeyInfo, DER) that verifies what `sign` signs. */
  publicKey(): Promise<Uint8Array>;
}

export interface StoredCheckpointObject {
  readonly seq: number;
  /** The object's text (a SignedCheckpoint as JSON). */
  readonly text: string;
  /** Where it is, for people: `s3://bucket/key` or a file path. */
  readonly location: string;
}

/** Another writer stored this checkpoint number first. */
export class CheckpointTakenError extends Error {
  constructor(readonly seq: number) {
    super(`checkpoint ${seq} was written by another writer meanwhile`);
    this.name = 'CheckpointTakenError';
  }
}

export interface CheckpointStore {
  /** Where checkpoints go, for people (`s3://bucket/prefix/`, a directory). */
  readonly location: string;
  /** The checkpoint with the highest number, or undefined when none was ever written. */
  latest(): Promise<StoredCheckpointObject | undefined>;
  get(seq: number): Promise<StoredCheckpointObject | undefined>;
  /**
   * Stores checkpoint `seq`, kept unchangeable until `retainUntil`. Never replaces an existing object: throws
   * CheckpointTakenError when `seq` is already stored.
   */
  put(seq: number, text: string, retainUntil: Date): Promise<void>;
}
