import { createHmac, hkdfSync } from 'node:crypto';
import { PSEUDONYM_TAGS, type IdentifierKind } from '../core/risk/pseudonyms';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Pseudonymizer } from '../ports/pseudonymizer';

const KINDS = Object.keys(PSEUDONYM_TAGS) as IdentifierKind[];
/** 128 bits of the HMAC: collisions stay out of reach (2^64 identifiers) and profile keys stay short. */
const PSEUDONYM_BYTES = 16;

function subKey(secret: string | Uint8Array, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'stepgate', `stepgate/${label}/v1`, 32));
}

/**
 * HMAC-SHA256 under keys derived (HKDF-SHA256) from the application secret's `pseudonymKey`, one per identifier
 * kind: a separate key per kind is the domain separation that keeps an IP's pseudonym from ever matching a device's
 * for the same text. The key is what makes the hash a pseudonym: the IPv4 space is 2^32 addresses and user agents
 * are a short dictionary, so an unkeyed hash of either is reversed by enumeration.
 */
export class HmacPseudonymizer implements Pseudonymizer {
  private readonly keys: ReadonlyMap<IdentifierKind, Buffer>;
  private readonly bodyKey: Buffer;

  constructor(secret: string | Uint8Array) {
    if (secret.length < 16) throw new Error('pseudonym key shorter than 16 bytes');
    this.keys = new Map(KINDS.map((kind) => [kind, subKey(secret, `pseudonym/${kind}`)]));
    this.bodyKey = subKey(secret, 'request-body');
  }

  pseudonym(kind: IdentifierKind, value: string): string {
    const key = this.keys.get(kind);
    if (key === undefined) throw new Error(`unknown identifier kind ${String(kind)}`);
    const mac = createHmac('sha256', key).update(value, 'utf8').digest();
    return `h.${PSEUDONYM_TAGS[kind]}.${mac.subarray(0, PSEUDONYM_BYTES).toString('base64url')}`;
  }

  bodyDigest(body: string): string {
    return createHmac('sha256', this.bodyKey).update(body, 'utf8').digest('base64url');
  }
}

/** One pseudonymizer per key, built on first use from the application secret (fetched once per instance). */
export function pseudonymizerFrom(secrets: AppSecretsSource): () => Promise<HmacPseudonymizer> {
  let built: { key: string; pseudonymizer: HmacPseudonymizer } | undefined;
  return async () => {
    const { pseudonymKey } = await secrets.get();
    if (built?.key !== pseudonymKey) built = { key: pseudonymKey, pseudonymizer: new HmacPseudonymizer(pseudonymKey) };
    return built.pseudonymizer;
  };
}
