import { randomBytes } from 'node:crypto';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair, type KeyLike } from 'jose';
import {
  DECISION_TOKEN_AUDIENCE,
  DECISION_TOKEN_TYPE,
  MAX_DECISION_TOKEN_TTL_SECONDS,
  signDecisionToken,
  verifyDecisionToken,
  type DecisionTokenClaims,
} from '../../../lambdas/core/step-up/decision-token';
import { StepUpInternalError } from '../../../lambdas/core/step-up/step-up-errors';

const ISSUER = 'https://stepgate.test/decisions';
const NOW = Date.UTC(2025, 5, 1, 8, 0, 0);
const HMAC_KEY = new Uint8Array(randomBytes(32));

const claims: DecisionTokenClaims = {
  sub: 'alice@example.com',
  decisionId: 'dec-01',
  decision: 'step_up',
  action: 'auth.sign_in',
  stepUpId: 'su-01',
  score: 55,
  policyVersion: 3,
};

const verifyOpts = { issuer: ISSUER, expectedUsername: 'alice@example.com', now: NOW + 10_000 };

let es: { publicKey: KeyLike; privateKey: KeyLike };

beforeAll(async () => {
  es = await generateKeyPair('ES256');
});

function sign(overrides: Partial<DecisionTokenClaims> = {}, now = NOW, ttlSeconds?: number) {
  return signDecisionToken({ ...claims, ...overrides }, HMAC_KEY, {
    issuer: ISSUER,
    now,
    alg: 'HS256',
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  });
}

/** Re-encodes a token's payload without re-signing, as an attacker editing it would. */
function withPayload(token: string, edit: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  edit(decoded);
  return `${header}.${base64url.encode(JSON.stringify(decoded))}.${signature}`;
}

describe('decision tokens', () => {
  it('round-trip with HS256', async () => {
    const token = await sign();
    const result = await verifyDecisionToken(token, HMAC_KEY, verifyOpts);
    expect(result).toEqual({
      ok: true,
      claims: { ...claims, iat: Math.floor(NOW / 1000), exp: Math.floor(NOW / 1000) + 120 },
    });
  });

  it('round-trip with ES256', async () => {
    const token = await signDecisionToken(claims, es.privateKey, { issuer: ISSUER, now: NOW, alg: 'ES256' });
    const result = await verifyDecisionToken(token, es.publicKey, verifyOpts);
    expect(result.ok).toBe(true);
  });

  it('carry the expected header, audience and id', async () => {
    const token = await sign();
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'HS256', typ: DECISION_TOKEN_TYPE });
    expect(payload).toMatchObject({
      aud: DECISION_TOKEN_AUDIENCE,
      iss: ISSUER,
      sub: claims.sub,
      jti: claims.decisionId,
    });
  });

  it('omit stepUpId when there is none', async () => {
    const { stepUpId: _drop, ...rest } = claims;
    const token = await signDecisionToken({ ...rest, decision: 'allow' }, HMAC_KEY, {
      issuer: ISSUER,
      now: NOW,
      alg: 'HS256',
    });
    const result = await verifyDecisionToken(token, HMAC_KEY, verifyOpts);
    expect(result.ok && 'stepUpId' in result.claims).toBe(false);
  });

  it('expire after the TTL (with a few seconds of tolerance)', async () => {
    const token = await sign({}, NOW, 120);
    expect((await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, now: NOW + 121_000 })).ok).toBe(true);
    expect(await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, now: NOW + 130_000 })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('are refused before they were issued', async () => {
    const token = await sign({}, NOW + 60_000);
    expect(await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, now: NOW })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('are bound to the user', async () => {
    const token = await sign();
    expect(
      await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, expectedUsername: 'mallory@example.com' }),
    ).toEqual({
      ok: false,
      reason: 'wrong_user',
    });
    expect(
      await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, expectedUsername: 'ALICE@example.com' }),
    ).toEqual({
      ok: false,
      reason: 'wrong_user',
    });
    expect(await verifyDecisionToken(token, HMAC_KEY, { ...verifyOpts, expectedUsername: [] })).toEqual({
      ok: false,
      reason: 'wrong_user',
    });
    expect(
      (
        await verifyDecisionToken(token, HMAC_KEY, {
          ...verifyOpts,
          expectedUsername: ['0000-sub', 'alice@example.com'],
        })
      ).ok,
    ).toBe(true);
  });

  it('are only for sign-in', async () => {
    const token = await sign({ action: 'payment.transfer' as 'auth.sign_in' });
    expect(await verifyDecisionToken(token, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'wrong_action' });
  });

  it('reject a tampered payload', async () => {
    const token = await sign({ decision: 'step_up' });
    for (const forged of [
      withPayload(token, (p) => (p.decision = 'allow')),
      withPayload(token, (p) => (p.sub = 'mallory@example.com')),
      withPayload(token, (p) => (p.exp = (p.exp as number) + 3600)),
    ]) {
      expect(await verifyDecisionToken(forged, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(await verifyDecisionToken(flipped, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reject the wrong key', async () => {
    const token = await sign();
    expect(await verifyDecisionToken(token, new Uint8Array(randomBytes(32)), verifyOpts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const other = await generateKeyPair('ES256');
    const esToken = await signDecisionToken(claims, other.privateKey, { issuer: ISSUER, now: NOW, alg: 'ES256' });
    expect(await verifyDecisionToken(esToken, es.publicKey, verifyOpts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('reject alg "none"', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: DECISION_TOKEN_TYPE }));
    const iat = Math.floor(NOW / 1000);
    const payload = base64url.encode(
      JSON.stringify({ ...claims, iss: ISSUER, aud: DECISION_TOKEN_AUDIENCE, jti: 'dec-01', iat, exp: iat + 120 }),
    );
    // With an empty signature segment jose refuses the algorithm; without one it is not a JWS at all.
    expect(await verifyDecisionToken(`${header}.${payload}.`, HMAC_KEY, verifyOpts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyDecisionToken(`${header}.${payload}.`, es.publicKey, verifyOpts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyDecisionToken(`${header}.${payload}`, HMAC_KEY, verifyOpts)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('reject HS256 signed with the public key (algorithm confusion)', async () => {
    const spki = new TextEncoder().encode(await exportSPKI(es.publicKey));
    const jwk = new TextEncoder().encode(JSON.stringify(await exportJWK(es.publicKey)));
    for (const secret of [spki, jwk]) {
      const token = await signDecisionToken(claims, secret, { issuer: ISSUER, now: NOW, alg: 'HS256' });
      expect(await verifyDecisionToken(token, es.publicKey, verifyOpts)).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it('reject ES256 tokens when configured for HS256', async () => {
    const token = await signDecisionToken(claims, es.privateKey, { issuer: ISSUER, now: NOW, alg: 'ES256' });
    expect(await verifyDecisionToken(token, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([undefined, null, ''])('report a missing token (%p)', async (token) => {
    expect(await verifyDecisionToken(token, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each(['abc', 'a.b.c', '...', 'x'.repeat(5000)])('report garbage as malformed (%#)', async (token) => {
    expect(await verifyDecisionToken(token, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'malformed' });
  });

  async function signRaw(
    payload: Record<string, unknown>,
    header: Record<string, unknown> = {},
    aud = DECISION_TOKEN_AUDIENCE,
  ) {
    const iat = Math.floor(NOW / 1000);
    return new SignJWT({
      decisionId: 'dec-01',
      decision: 'step_up',
      action: 'auth.sign_in',
      score: 10,
      policyVersion: 1,
      ...payload,
    })
      .setProtectedHeader({ alg: 'HS256', typ: DECISION_TOKEN_TYPE, ...header })
      .setSubject('alice@example.com')
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setJti('dec-01')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(HMAC_KEY);
  }

  it('reject other JWTs signed with the same key (wrong audience, issuer or type)', async () => {
    expect(await verifyDecisionToken(await signRaw({}, {}, 'some-app-client'), HMAC_KEY, verifyOpts)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verifyDecisionToken(await signRaw({}, { typ: 'JWT' }), HMAC_KEY, verifyOpts)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verifyDecisionToken(await sign(), HMAC_KEY, { ...verifyOpts, issuer: 'https://elsewhere' })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('reject signed tokens with claims of the wrong shape', async () => {
    for (const payload of [
      { decision: 'maybe' },
      { score: 101 },
      { score: '5' },
      { policyVersion: 1.5 },
      { decisionId: '' },
    ]) {
      expect(await verifyDecisionToken(await signRaw(payload), HMAC_KEY, verifyOpts)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('reject a signed token that claims a long life', async () => {
    const iat = Math.floor(NOW / 1000);
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: DECISION_TOKEN_TYPE })
      .setIssuer(ISSUER)
      .setAudience(DECISION_TOKEN_AUDIENCE)
      .setJti('dec-01')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(HMAC_KEY);
    expect(await verifyDecisionToken(token, HMAC_KEY, verifyOpts)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuse to sign with a long TTL or a short HMAC key', async () => {
    await expect(sign({}, NOW, MAX_DECISION_TOKEN_TTL_SECONDS + 1)).rejects.toThrow(StepUpInternalError);
    await expect(sign({}, NOW, 0)).rejects.toThrow(StepUpInternalError);
    await expect(
      signDecisionToken(claims, new Uint8Array(16), { issuer: ISSUER, now: NOW, alg: 'HS256' }),
    ).rejects.toThrow(StepUpInternalError);
    expect(await verifyDecisionToken(await sign(), new Uint8Array(16), verifyOpts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});
