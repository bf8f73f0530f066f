/**
 * The JSON keys of the application secret, named once for the CDK (which creates the secret and seeds the keys),
 * the Secrets Manager adapter that reads it and the local runtime's stand-in file. Each is 32 random bytes,
 * base64url, generated in AWS at first deploy and never rotated by the stack: rotating decisionTokenKey voids
 * outstanding decision tokens, otpPepper voids pending codes, pseudonymKey changes every identifier pseudonym
 * (profiles keyed by pseudonyms then look new), and cursorKey (which signs page cursors of the admin and audit APIs)
 * voids the cursors of listings in progress. A key added to this list is added to an existing secret on the next
 * deploy; the keys already there are kept.
 */
export const APP_SECRET_KEYS = ['decisionTokenKey', 'otpPepper', 'pseudonymKey', 'cursorKey'] as const;
export type AppSecretKey = (typeof APP_SECRET_KEYS)[number];
