import { z } from 'zod';
import { CODE_TTL_MS } from '../../core/step-up/challenge-policy';
import type { PasskeyStore } from '../../ports/passkey-store';
import type { RelyingParty, WebAuthnCeremonies } from '../../ports/webauthn';
import { passkeyIdOf } from './passkey-registration';

/** Far above a real assertion (about 1 kB) and far below what could cost a trigger noticeable time to parse. */
export const MAX_ASSERTION_LENGTH = 16_384;

const b64url = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]*$/);

/** The JSON `PublicKeyCredential.toJSON()` gives for an assertion; unknown keys are ignored, as browsers add some. */
const assertionSchema = z.object({
  id: b64url.min(1),
  rawId: b64url.min(1),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url.min(1),
    authenticatorData: b64url.min(1),
    signature: b64url.min(1),
    userHandle: b64url.optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});

export type AssertionOutcome =
  { readonly ok: true; readonly passkeyId: string } | { readonly ok: false; readonly reason: string };

export interface PasskeyAssertionDependencies {
  readonly passkeys: Pick<PasskeyStore, 'list' | 'get' | 'recordUse'>;
  readonly ceremonies: WebAuthnCeremonies;
  /** Undefined when passkeys are not configured: the method then never passes. */
  readonly relyingParty: RelyingParty | undefined;
}

/**
 * The `webauthn` step-up method inside the custom-auth challenge. The WebAuthn challenge the authenticator signs is
 * the stored challenge's own id (16 random bytes), so the ceremony inherits everything the challenge store already
 * enforces for codes: it belongs to one user and one step-up, expires with the code TTL, counts tries, and is
 * marked used at most once. On top of that the assertion must name one of this user's passkeys, come from an
 * allowed origin for the RP ID, carry user verification and a valid signature, and move the signature counter
 * forward from exactly the value it was verified against.
 */
export class PasskeyAssertions {
  constructor(private readonly deps: PasskeyAssertionDependencies) {}

  get configured(): boolean {
    return this.deps.relyingParty !== undefined;
  }

  /** The public challenge parameters: the assertion options, as JSON, for `parseRequestOptionsFromJSON`. */
  async challengeParameters(userName: string, challengeId: string): Promise<Record<string, string> | undefined> {
    const rp = this.deps.relyingParty;
    if (!rp) return undefined;
    const passkeys = await this.deps.passkeys.list(userName);
    const options = await this.deps.ceremonies.authenticationOptions(rp, {
      challenge: challengeId,
      allow: passkeys.map((p) => ({ credentialId: p.credentialId, transports: p.transports })),
      timeoutMs: CODE_TTL_MS,
    });
    return { options: JSON.stringify(options), rpId: rp.rpId };
  }

  async verify(userName: string, challengeId: string, answer: unknown, now: number): Promise<AssertionOutcome> {
    const rp = this.deps.relyingParty;
    if (!rp) return { ok: false, reason: 'not_configured' };
    if (typeof answer !== 'string' || answer.length > MAX_ASSERTION_LENGTH) return { ok: false, reason: 'malformed' };
    let json: unknown;
    try {
      json = JSON.parse(answer);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const parsed = assertionSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== parsed.data.rawId) return { ok: false, reason: 'malformed' };
    const passkeyId = passkeyIdOf(parsed.data.id);
    const passkey = await this.deps.passkeys.get(userName, passkeyId);
    if (!passkey || passkey.credentialId !== parsed.data.id) return { ok: false, reason: 'unknown_credential' };
    const check = await this.deps.ceremonies.verifyAssertion(rp, parsed.data, challengeId, passkey);
    if (!check.ok) return { ok: false, reason: check.reason };
    const recorded = await this.deps.passkeys.recordUse({
      userId: userName,
      passkeyId,
      expected: passkey.signCount,
      next: check.newSignCount,
      now,
    });
    return recorded ? { ok: true, passkeyId } : { ok: false, reason: 'sign_count_raced' };
  }
}
