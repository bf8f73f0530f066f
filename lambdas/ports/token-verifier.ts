/** Claims of a JWT that passed verification, as API Gateway's JWT authorizer passes them on. */
export interface VerifiedToken {
  readonly claims: Record<string, unknown>;
  readonly scopes: readonly string[];
}

/** Why a token was refused; the HTTP edge turns it into API Gateway's `www-authenticate` answer. */
export type TokenRefusal =
  /** No token at all (no Authorization header, or an empty one). */
  | 'missing'
  /** Not a JWT, or one that cannot be decoded. */
  | 'invalid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  /** A valid token of the wrong kind (an id token where an access token is needed). */
  | 'wrong_token_use'
  | 'insufficient_scope';

export type TokenCheck =
  { readonly ok: true; readonly token: VerifiedToken } | { readonly ok: false; readonly reason: TokenRefusal };

/** Verifies bearer tokens with the rules of API Gateway's JWT authorizer (issuer, audience/client, expiry, scopes). */
export interface TokenVerifier {
  verify(token: string | undefined, requiredScopes?: readonly string[]): Promise<TokenCheck>;
}
