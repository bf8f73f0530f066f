import { relyingPartyFromEnv } from '../../../lambdas/config/relying-party';
import { ENV } from '../../../lambdas/contracts/environment';
import { originList, relyingPartyProblem } from '../../../lambdas/contracts/relying-party';

describe('the passkey relying party (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS)', () => {
  const env = (rpId?: string, origins?: string) => ({
    ...(rpId !== undefined ? { [ENV.webauthnRpId]: rpId } : {}),
    ...(origins !== undefined ? { [ENV.webauthnOrigins]: origins } : {}),
  });

  it('is off when neither variable is set', () => {
    expect(relyingPartyFromEnv(env())).toBeUndefined();
    expect(relyingPartyFromEnv(env('', ''))).toBeUndefined();
  });

  it('reads the RP ID and the trimmed origins, on the RP ID or its subdomains', () => {
    expect(relyingPartyFromEnv(env('example.org', 'https://example.org, https://app.example.org:8443'))).toEqual({
      rpId: 'example.org',
      rpName: 'stepgate',
      origins: ['https://example.org', 'https://app.example.org:8443'],
    });
    // Browsers allow http only on localhost.
    expect(relyingPartyFromEnv(env('localhost', 'http://localhost:3800'))?.origins).toEqual(['http://localhost:3800']);
  });

  it('fails the cold start, naming the variable, when only one is set', () => {
    expect(() => relyingPartyFromEnv(env('example.org'))).toThrow(
      'environment variable WEBAUTHN_ORIGINS: required when WEBAUTHN_RP_ID is set',
    );
    expect(() => relyingPartyFromEnv(env(undefined, 'https://example.org'))).toThrow(
      'environment variable WEBAUTHN_RP_ID: required when WEBAUTHN_ORIGINS is set',
    );
  });

  it('refuses values no browser would accept together', () => {
    const refused: [string, string, RegExp][] = [
      ['https://example.org', 'https://example.org', /WEBAUTHN_RP_ID: must be a lower-case domain name/],
      ['example.org:443', 'https://example.org', /WEBAUTHN_RP_ID: must be a lower-case domain name/],
      ['Example.org', 'https://example.org', /WEBAUTHN_RP_ID/],
      ['example.org', 'https://example.org.evil.com', /WEBAUTHN_ORIGINS: .* is not on example\.org/],
      ['example.org', 'https://notexample.org', /WEBAUTHN_ORIGINS: .* is not on example\.org/],
      ['example.org', 'http://app.example.org', /WEBAUTHN_ORIGINS: .* must be https/],
      ['example.org', 'https://app.example.org/', /WEBAUTHN_ORIGINS: .* exact origin/],
      ['example.org', 'https://app.example.org/login', /WEBAUTHN_ORIGINS: .* exact origin/],
      ['example.org', 'app.example.org', /WEBAUTHN_ORIGINS/],
      ['example.org', ' , ', /WEBAUTHN_ORIGINS: lists no origin/],
    ];
    for (const [rpId, origins, error] of refused) {
      expect(() => relyingPartyFromEnv(env(rpId, origins))).toThrow(error);
    }
  });

  it('gives the CDK the same rules, naming the field', () => {
    expect(relyingPartyProblem({ rpId: 'example.org', origins: originList('https://a.example.org') })).toBeUndefined();
    expect(relyingPartyProblem({ rpId: 'example.org', origins: ['https://a.example.com'] })).toEqual({
      field: 'origins',
      reason: '"https://a.example.com" is not on example.org or a subdomain of it',
    });
  });
});
