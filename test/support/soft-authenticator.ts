import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator for tests: ES256 credentials, `none` attestation, user presence and
 * verification flags, a signature counter, and the client side of a browser (client data with type, challenge and
 * origin). Every field a test wants to get wrong (origin, RP ID, flags, counter, challenge) is a parameter, so the
 * server's checks are exercised with genuinely signed data rather than with mocks of the verifier.
 */

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftCredential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  signCount: number;
}

export interface CeremonyOptions {
  readonly origin?: string;
  readonly rpId?: string;
  readonly userVerified?: boolean;
  /** For assertions: the counter to report (default: the credential's counter + 1). */
  readonly signCount?: number;
  readonly type?: string;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function counterBytes(count: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(count >>> 0);
  return out;
}

export class SoftAuthenticator {
  constructor(
    readonly origin: string,
    readonly rpId: string,
  ) {}

  newCredential(): SoftCredential {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { id: randomBytes(32), privateKey, publicKey, signCount: 0 };
  }

  /** `PublicKeyCredential.toJSON()` of a newly created credential, for the given creation options. */
  register(options: { challenge: string }, credential: SoftCredential, o: CeremonyOptions = {}) {
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: o.type ?? 'webauthn.create',
        challenge: options.challenge,
        origin: o.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const flags = FLAG_UP | FLAG_AT | (o.userVerified === false ? 0 : FLAG_UV);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      sha256(o.rpId ?? this.rpId),
      Buffer.from([flags]),
      counterBytes(credential.signCount),
      Buffer.alloc(16), // aaguid: none
      idLength,
      credential.id,
      Buffer.from(coseKey(credential.publicKey)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** `PublicKeyCredential.toJSON()` of an assertion over `challenge`; advances the counter like a device does. */
  assert(challenge: string, credential: SoftCredential, o: CeremonyOptions = {}) {
    const count = o.signCount ?? credential.signCount + 1;
    credential.signCount = Math.max(credential.signCount, count);
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: o.type ?? 'webauthn.get',
        challenge,
        origin: o.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const flags = FLAG_UP | (o.userVerified === false ? 0 : FLAG_UV);
    const authData = Buffer.concat([sha256(o.rpId ?? this.rpId), Buffer.from([flags]), counterBytes(count)]);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return JSON.stringify({
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }
}
