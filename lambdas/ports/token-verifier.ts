/** Claims of a JWT that passed verification, as API Gateway's JWT authorizer passes them on. */
export interface VerifiedToken {
  readonly claims: Record<string, unknown>;
  readonly scopes: readonly string[];
}

export type TokenCheck =
  | { readonly ok: true; readonly token: VerifiedToken }
  | {
      readonly ok: false;
      readonly reason: 'missing' | 'invalid' | 'expired' | 'wrong_issuer' | 'wrong_audience' | 'insufficient_scope';
    };

/** Verifies bearer tokens with the rules of API Gateway's JWT authorizer (issuer, audience/client, expiry, scopes). */
export interface TokenVerifier {
  verify(token: string | undefined, requiredScopes?: readonly string[]): Promise<TokenCheck>;
}
