/** Encrypts small secrets (TOTP seeds) before they are stored; `context` binds a sealed value to its owner. */
export interface SecretSealer {
  seal(plain: string, context: string): Promise<string>;
  /** Undefined for anything that does not open with this key and context (tampered, moved, other key). */
  open(sealed: string, context: string): Promise<string | undefined>;
}
