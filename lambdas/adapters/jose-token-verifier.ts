import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { TokenCheck, TokenVerifier } from '../ports/token-verifier';

export interface JoseTokenVerifierOptions {
  readonly issuer: string;
  /** App client ids accepted; matched against `aud` (id tokens) or `client_id` (Cognito access tokens). */
  readonly audiences: readonly string[];
  /** Either a JWKS URL (AWS: `<issuer>/.well-known/jwks.json`) or the key set itself (local runtime). */
  readonly jwks: URL | JSONWebKeySet;
  /** Only access tokens are accepted by default, as API Gateway expects for scoped routes. */
  readonly tokenUse?: 'access' | 'id' | 'any';
  readonly clockToleranceSeconds?: number;
  readonly now?: () => number;
}

/**
 * jose-based verifier applying the rules of API Gateway's JWT authorizer: signature by the issuer's key, `iss`,
 * `exp`/`nbf`, audience (`aud` or Cognito's `client_id`) in the allowed list, and at least one required scope.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private readonly keySet;

  constructor(private readonly options: JoseTokenVerifierOptions) {
    this.keySet = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  }

  async verify(token: string | undefined, requiredScopes: readonly string[] = []): Promise<TokenCheck> {
    if (!token) return { ok: false, reason: 'missing' };
    let payload: JWTPayload;
    try {
      const now = this.options.now?.();
      ({ payload } = await jwtVerify(token, this.keySet, {
        issuer: this.options.issuer,
        algorithms: ['RS256'],
        clockTolerance: this.options.clockToleranceSeconds ?? 0,
        ...(now !== undefined ? { currentDate: new Date(now) } : {}),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss')
        return { ok: false, reason: 'wrong_issuer' };
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf')
        return { ok: false, reason: 'not_yet_valid' };
      if (
        error instanceof errors.JWSSignatureVerificationFailed ||
        error instanceof errors.JOSEAlgNotAllowed ||
        error instanceof errors.JWKSNoMatchingKey
      ) {
        return { ok: false, reason: 'bad_signature' };
      }
      return { ok: false, reason: 'invalid' };
    }
    const tokenUse = this.options.tokenUse ?? 'access';
    if (tokenUse !== 'any' && payload.token_use !== tokenUse) return { ok: false, reason: 'wrong_token_use' };
    const audiences = [payload.aud, payload.client_id].flat().filter((a): a is string => typeof a === 'string');
    if (!audiences.some((a) => this.options.audiences.includes(a))) return { ok: false, reason: 'wrong_audience' };
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    if (requiredScopes.length > 0 && !requiredScopes.some((s) => scopes.includes(s))) {
      return { ok: false, reason: 'insufficient_scope' };
    }
    return { ok: true, token: { claims: payload, scopes } };
  }
}
