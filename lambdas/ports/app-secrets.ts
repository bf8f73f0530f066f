/**
 * Process-wide secrets: HMAC key of sign-in decision tokens, pepper of one-time-code hashes, and the key of the
 * identifier pseudonyms (`privacy.hashIdentifiers`, and the velocity counters' subjects at all times).
 */
export interface AppSecrets {
  readonly decisionTokenKey: Uint8Array;
  readonly otpPepper: string;
  readonly pseudonymKey: string;
}

export interface AppSecretsSource {
  /** Fetched once per cold start and kept; callers may call it on every request. */
  get(): Promise<AppSecrets>;
}
