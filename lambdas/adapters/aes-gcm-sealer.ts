import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SecretSealer } from '../ports/secret-sealer';

/**
 * AES-256-GCM with a key derived (HKDF-SHA256) from the application's OTP pepper. DynamoDB already encrypts at
 * rest; this keeps TOTP seeds unreadable to anyone who can read the table (exports, backups, a console user) but
 * not the secret, and the AAD stops a sealed seed from being copied to another user's item.
 */
export class AesGcmSealer implements SecretSealer {
  constructor(
    private readonly keyMaterial: () => Promise<string | Uint8Array>,
    private readonly purpose = 'stepgate/totp-secret/v1',
  ) {}

  private async key(): Promise<Buffer> {
    const ikm = await this.keyMaterial();
    if (ikm.length < 16) throw new Error('sealing key material is shorter than 16 bytes');
    return Buffer.from(hkdfSync('sha256', ikm, 'stepgate', this.purpose, 32));
  }

  async seal(plain: string, context: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.key(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  async open(sealed: string, context: string): Promise<string | undefined> {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || body === undefined || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.key(), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
