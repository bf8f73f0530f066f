import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { CheckpointSigner } from '../ports/checkpoint';

export const KMS_KEY_SPEC = 'ECC_NIST_P256';
export const KMS_SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** The KMS key is not what checkpoints need (another key spec, not a signing key, no ECDSA_SHA_256). */
export class UnsuitableSigningKeyError extends Error {
  constructor(keyId: string, what: string) {
    super(`KMS key ${keyId} cannot sign checkpoints: ${what}`);
    this.name = 'UnsuitableSigningKeyError';
  }
}

/**
 * Signs checkpoints with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY, ECDSA_SHA_256): the private key never
 * leaves KMS. The SHA-256 digest is computed here and sent as `MessageType: DIGEST`, because KMS signs at most
 * 4 KB of raw message and a checkpoint of many chains is larger; the signature is the same as KMS hashing the
 * payload itself, so anyone verifies it against the payload with the public key (GetPublicKey, or the console).
 */
export class KmsCheckpointSigner implements CheckpointSigner {
  private publicKeyPromise: Promise<Uint8Array> | undefined;

  constructor(
    private readonly client: KMSClient,
    readonly keyId: string,
  ) {}

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(message).digest();
    const out = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: KMS_SIGNING_ALGORITHM,
      }),
    );
    if (!out.Signature) throw new UnsuitableSigningKeyError(this.keyId, 'Sign returned no signature');
    return out.Signature;
  }

  publicKey(): Promise<Uint8Array> {
    // Fetched once per instance; a failure is not cached.
    this.publicKeyPromise ??= this.fetchPublicKey().catch((error: unknown) => {
      this.publicKeyPromise = undefined;
      throw error;
    });
    return this.publicKeyPromise;
  }

  private async fetchPublicKey(): Promise<Uint8Array> {
    const out = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (out.KeySpec !== KMS_KEY_SPEC) throw new UnsuitableSigningKeyError(this.keyId, `key spec ${out.KeySpec}`);
    if (out.KeyUsage !== 'SIGN_VERIFY') throw new UnsuitableSigningKeyError(this.keyId, `key usage ${out.KeyUsage}`);
    if (!out.SigningAlgorithms?.includes(KMS_SIGNING_ALGORITHM)) {
      throw new UnsuitableSigningKeyError(this.keyId, `no ${KMS_SIGNING_ALGORITHM}`);
    }
    if (!out.PublicKey) throw new UnsuitableSigningKeyError(this.keyId, 'GetPublicKey returned no key');
    return out.PublicKey;
  }
}
