/**
 * Process-wide secrets: HMAC key of sign-in decision tokens, pepper of one-time-code hashes, the key of the
 * identifier pseudonyms (`privacy.hashIdentifiers`, and the velocity counters' subjects at all times), and the HMAC
 * key that signs page cursors of the admin and audit APIs.
 */
export interface AppSecrets {
  readonly decisionTokenKey: Uint8Array;
  readonly otpPepper: string;
  readonly pseudonymKey: string;
  readonly cursorKey: Uint8Array;
}

export interface AppSecretsSource {
  /** Fetched once per cold start and kept; callers may call it on every request. */
  get(): Promise<AppSecrets>;
}
