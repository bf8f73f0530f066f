import type { AuditEvent } from '../core/audit/audit-event';
import type { ChainBreak, ChainVerification } from '../core/audit/hash-chain';

export type AppendResult = 'appended' | 'duplicate';

/** Where audit records go. Implementations chain and store them; a retried event (same eventId) is a `duplicate`. */
export interface AuditLog {
  append(event: AuditEvent): Promise<AppendResult>;
}

export interface AuditExportQuery {
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  readonly subject?: string;
  readonly limit?: number;
  /** Opaque cursor from a previous page of the same query. */
  readonly cursor?: string;
}

/** One audit record as exported: the event plus what is needed to re-verify its hash offline. */
export interface ExportedRecord {
  readonly chain: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  /** Epoch seconds, as hashed. */
  readonly expiresAt?: number;
  readonly prevExpiresAt?: number;
  /** Whether the record's content still hashes to its stored hash (chain links are checked by verify). */
  readonly intact: boolean;
  readonly event: AuditEvent;
}

export interface AuditPage {
  readonly records: readonly ExportedRecord[];
  /** Present when more records may follow; pass it back as `cursor`. A page may be empty yet have a cursor. */
  readonly cursor?: string;
}

/** The shape DESIGN §6 promises for `GET /v1/admin/audit/verify`. */
export interface AuditVerificationSummary {
  readonly ok: boolean;
  readonly chains: number;
  readonly records: number;
  readonly breaks: readonly ChainBreak[];
}

export interface AuditReader {
  /** Throws InvalidAuditQueryError (field `cursor`) for a cursor this reader did not produce. */
  exportRecords(query: AuditExportQuery): Promise<AuditPage>;
  /** `now` in epoch ms decides which records' retention has ended. */
  verifyAll(now: number): Promise<AuditVerificationSummary>;
  /** Chain by chain, for callers that report progress. */
  verifyEach(now: number): AsyncIterable<ChainVerification>;
}
