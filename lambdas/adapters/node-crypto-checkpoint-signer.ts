import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CheckpointSigner } from '../ports/checkpoint';

export const LOCAL_SIGNING_KEY_FILE = 'checkpoint-signing-key.pem';
export const LOCAL_PUBLIC_KEY_FILE = 'checkpoint-public-key.pem';

/**
 * The local stand-in for the KMS key: an ECDSA P-256 key pair made with node:crypto, signing exactly as KMS's
 * ECDSA_SHA_256 does (SHA-256, DER signature). The private key is a PKCS#8 PEM file (mode 0600) in the local
 * data folder, created on first use; the public key is written beside it for checking checkpoints by hand.
 */
export class NodeCryptoCheckpointSigner implements CheckpointSigner {
  readonly keyId: string;
  private readonly spki: Buffer;

  private constructor(private readonly privateKey: KeyObject) {
    this.spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.keyId = `local:${createHash('sha256').update(this.spki).digest('hex')}`;
  }

  static generate(): NodeCryptoCheckpointSigner {
    return new NodeCryptoCheckpointSigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }

  /** Loads `<dir>/checkpoint-signing-key.pem`, creating it (and the public key file) when absent. */
  static async inDirectory(dir: string): Promise<NodeCryptoCheckpointSigner> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, LOCAL_SIGNING_KEY_FILE);
    try {
      return NodeCryptoCheckpointSigner.fromPem(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fresh = NodeCryptoCheckpointSigner.generate();
    try {
      // Exclusive: if another process (the CLI beside `npm start`) created it meanwhile, use theirs.
      await writeFile(file, fresh.privateKey.export({ format: 'pem', type: 'pkcs8' }), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return NodeCryptoCheckpointSigner.fromPem(await readFile(file, 'utf8'));
    }
    await writeFile(path.join(dir, LOCAL_PUBLIC_KEY_FILE), fresh.publicKeyPem());
    return fresh;
  }

  static fromPem(pem: string): NodeCryptoCheckpointSigner {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('the local checkpoint key is not an ECDSA P-256 key');
    }
    return new NodeCryptoCheckpointSigner(key);
  }

  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ format: 'pem', type: 'spki' }).toString();
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
  }

  publicKey(): Promise<Uint8Array> {
    return Promise.resolve(this.spki);
  }
}
