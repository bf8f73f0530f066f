import type { IdentifierKind } from '../core/risk/pseudonyms';

export type { IdentifierKind };

/** Keyed, one-way, stable: the same key and value always give the same result; without the key nothing links back. */
export interface Pseudonymizer {
  /** `h.<kind tag>.` + a keyed hash of `value`, under a key of its own per kind (see pseudonyms.ts). */
  pseudonym(kind: IdentifierKind, value: string): string;
  /** Keyed digest of a request body, to tell an idempotent retry from a reused request id without storing the body. */
  bodyDigest(body: string): string;
}
