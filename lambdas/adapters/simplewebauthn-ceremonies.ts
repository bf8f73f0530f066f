import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type {
  AssertionCheck,
  AssertionCredential,
  AuthenticationOptionsInput,
  RegistrationCheck,
  RegistrationOptionsInput,
  RelyingParty,
  WebAuthnCeremonies,
} from '../ports/webauthn';

/** ES256 and RS256: what platform authenticators and security keys produce (Ed25519 is rare and less supported). */
const ALGORITHMS = [-7, -257];

const TRANSPORTS: ReadonlySet<string> = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

function transports(list: readonly string[] | undefined): AuthenticatorTransportFuture[] {
  return (list ?? []).filter((t) => TRANSPORTS.has(t)) as AuthenticatorTransportFuture[];
}

/** The library's own message names the failed check (origin, RP ID, challenge, counter...); no secret is in it. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : 'invalid response';
  return message.slice(0, 200);
}

/**
 * WebAuthn with @simplewebauthn/server. User verification is always required (a passkey step-up stands for "the
 * person holding the device, who unlocked it"), attestation is `none` (stepgate does not restrict authenticator
 * makes), and passkeys are discoverable where the authenticator can store them.
 */
export class SimpleWebAuthnCeremonies implements WebAuthnCeremonies {
  async registrationOptions(rp: RelyingParty, input: RegistrationOptionsInput): Promise<Record<string, unknown>> {
    const options = await generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: input.userName,
      userID: new TextEncoder().encode(input.userId),
      challenge: isoBase64URL.toBuffer(input.challenge),
      timeout: input.timeoutMs,
      attestationType: 'none',
      excludeCredentials: input.exclude.map((c) => ({ id: c.credentialId, transports: transports(c.transports) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    return options as unknown as Record<string, unknown>;
  }

  async verifyRegistration(rp: RelyingParty, response: unknown, challenge: string): Promise<RegistrationCheck> {
    try {
      const result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
      if (!result.verified || !result.registrationInfo) return { ok: false, reason: 'not verified' };
      const info = result.registrationInfo;
      return {
        ok: true,
        value: {
          credentialId: info.credential.id,
          publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
          signCount: info.credential.counter,
          transports: transports((response as RegistrationResponseJSON).response.transports),
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          aaguid: info.aaguid,
        },
      };
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
  }

  async authenticationOptions(rp: RelyingParty, input: AuthenticationOptionsInput): Promise<Record<string, unknown>> {
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId,
      challenge: isoBase64URL.toBuffer(input.challenge),
      timeout: input.timeoutMs,
      userVerification: 'required',
      allowCredentials: input.allow.map((c) => ({ id: c.credentialId, transports: transports(c.transports) })),
    });
    return options as unknown as Record<string, unknown>;
  }

  async verifyAssertion(
    rp: RelyingParty,
    response: unknown,
    challenge: string,
    credential: AssertionCredential,
  ): Promise<AssertionCheck> {
    try {
      const result = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.rpId,
        requireUserVerification: true,
        credential: {
          id: credential.credentialId,
          publicKey: isoBase64URL.toBuffer(credential.publicKey),
          counter: credential.signCount,
          transports: transports(credential.transports),
        },
      });
      if (!result.verified) return { ok: false, reason: 'not verified' };
      return { ok: true, newSignCount: result.authenticationInfo.newCounter };
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
  }
}
