import type { AuditEvent } from '../core/audit/audit-event';
import type { EnrolmentAuthorisation, GrantRedemption } from './challenge-store';

/**
 * A registered passkey (WebAuthn credential) of one Cognito user. `passkeyId` is the stable public handle the
 * management API uses (derived from the credential id, which can be over a kilobyte long); `credentialId` is what
 * the authenticator knows it by.
 */
export interface StoredPasskey {
  readonly userId: string;
  readonly passkeyId: string;
  /** base64url, as WebAuthn's JSON encodes it. */
  readonly credentialId: string;
  /** COSE public key, base64url. */
  readonly publicKey: string;
  /** The authenticator's signature counter as last accepted; 0 for authenticators that do not count. */
  readonly signCount: number;
  readonly transports: readonly string[];
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt?: number;
  /** Whether the credential is synced (multi-device) and backed up, as the authenticator reported at registration. */
  readonly deviceType: 'singleDevice' | 'multiDevice';
  readonly backedUp: boolean;
  readonly aaguid: string;
}

/** A registration ceremony waiting for the authenticator's answer: one per user, single use, short-lived. */
export interface PendingRegistration {
  readonly userId: string;
  /** base64url challenge the authenticator must sign over. */
  readonly challenge: string;
  readonly createdAt: number;
  readonly pendingUntil: number;
  readonly authorisation: EnrolmentAuthorisation;
}

export type StartRegistrationResult = 'started' | 'grant_used';
export type FinishRegistrationResult = 'registered' | 'no_pending' | 'duplicate';

export interface PasskeyStore {
  list(userId: string): Promise<StoredPasskey[]>;
  get(userId: string, passkeyId: string): Promise<StoredPasskey | undefined>;
  /** Stores the pending ceremony (replacing an older one), redeeming the grant with its audit record atomically. */
  startRegistration(input: {
    readonly pending: PendingRegistration;
    readonly redemption?: GrantRedemption;
    readonly audit?: AuditEvent;
  }): Promise<StartRegistrationResult>;
  getPendingRegistration(userId: string, now: number): Promise<PendingRegistration | undefined>;
  /**
   * Spends the pending ceremony (only if it still holds `challenge` and has not expired) and stores the passkey
   * (only if that credential is new), with the audit record, in one transaction.
   */
  finishRegistration(input: {
    readonly passkey: StoredPasskey;
    readonly challenge: string;
    readonly now: number;
    readonly audit: AuditEvent;
  }): Promise<FinishRegistrationResult>;
  /** Renames, with the audit record; false when there is no such passkey. */
  rename(input: {
    readonly userId: string;
    readonly passkeyId: string;
    readonly name: string;
    readonly audit: AuditEvent;
  }): Promise<boolean>;
  /** Deletes the passkey, redeeming the grant, with the audit records, in one transaction. */
  remove(input: {
    readonly userId: string;
    readonly passkeyId: string;
    readonly now: number;
    readonly redemption: GrantRedemption;
    readonly audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_found'>;
  /**
   * Records an accepted assertion: the counter moves from `expected` to `next` only if it is still `expected`, so
   * of two assertions verified against the same counter only one is accepted.
   */
  recordUse(input: {
    readonly userId: string;
    readonly passkeyId: string;
    readonly expected: number;
    readonly next: number;
    readonly now: number;
  }): Promise<boolean>;
}
