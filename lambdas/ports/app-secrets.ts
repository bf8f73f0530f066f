/** Process-wide secrets: HMAC key of sign-in decision tokens, pepper of one-time-code hashes, audit pseudonym salt. */
export interface AppSecrets {
  readonly decisionTokenKey: Uint8Array;
  readonly otpPepper: string;
  readonly auditSalt: string;
}

export interface AppSecretsSource {
  /** Fetched once per cold start and kept; callers may call it on every request. */
  get(): Promise<AppSecrets>;
}
