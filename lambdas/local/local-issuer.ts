import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import type { LocalAppClient, LocalUser } from './local-identities';

export interface IssuedUserTokens {
  readonly AccessToken: string;
  readonly IdToken: string;
  readonly RefreshToken: string;
  readonly ExpiresIn: number;
  readonly TokenType: 'Bearer';
}

/** Whom user tokens are about: a local user, with or without the password (the emulated pool keeps none). */
export type TokenSubject = Omit<LocalUser, 'password'> & { readonly password?: string };

/**
 * A stand-in for a Cognito user pool's token signer: RS256 tokens with Cognito's claim names, and a JWKS, so the
 * code that verifies tokens in AWS verifies these unchanged.
 */
export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: KeyLike,
    private readonly publicJwk: JWK,
    private readonly ttlSeconds: number,
  ) {}

  static async create(issuer: string, ttlSeconds = 3600): Promise<LocalIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return new LocalIssuer(issuer, privateKey, { ...jwk, kid: 'local-1', alg: 'RS256', use: 'sig' }, ttlSeconds);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  private sign(claims: Record<string, unknown>, nowSeconds: number, ttl = this.ttlSeconds): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'local-1' })
      .setIssuer(this.issuer)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ttl)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  /** Like Cognito's client-credentials grant: an access token whose sub is the client id. */
  clientCredentials(
    client: Pick<LocalAppClient, 'clientId' | 'allowedScopes'>,
    scopes: readonly string[],
    nowSeconds: number,
  ): Promise<string> {
    return this.sign(
      { sub: client.clientId, client_id: client.clientId, token_use: 'access', scope: scopes.join(' '), version: 2 },
      nowSeconds,
    );
  }

  async userTokens(
    user: TokenSubject,
    clientId: string,
    nowSeconds: number,
    extraClaims: Record<string, unknown> = {},
  ): Promise<IssuedUserTokens> {
    const groups = user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {};
    const accessToken = await this.sign(
      {
        sub: user.sub,
        client_id: clientId,
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        username: user.username,
        auth_time: nowSeconds,
        ...groups,
        ...extraClaims,
      },
      nowSeconds,
    );
    const idToken = await this.sign(
      {
        sub: user.sub,
        aud: clientId,
        token_use: 'id',
        'cognito:username': user.username,
        email: user.attributes.email,
        email_verified: user.attributes.email_verified === 'true',
        auth_time: nowSeconds,
        ...groups,
        ...extraClaims,
      },
      nowSeconds,
    );
    return {
      AccessToken: accessToken,
      IdToken: idToken,
      RefreshToken: randomUUID(),
      ExpiresIn: this.ttlSeconds,
      TokenType: 'Bearer',
    };
  }
}
