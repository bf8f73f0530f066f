import type { AuditEvent } from '../core/audit/audit-event';
import type { AnchoredHead, ChainBreak, ChainHead, ChainVerification, StoredRecord } from '../core/audit/hash-chain';

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

/** The checkpoint a verification was checked against. */
export interface AuditAnchorSummary {
  /** The checkpoint's sequence number. */
  readonly checkpoint: number;
  /** When it was taken. */
  readonly at: string;
  readonly chains: number;
  readonly records: number;
  /** Where it is stored (`s3://…` or a file path). */
  readonly location: string;
}

/** What `GET /v1/admin/audit/verify` answers: `{ ok, chains, records, breaks }`, plus the anchor when known. */
export interface AuditVerificationSummary {
  readonly ok: boolean;
  readonly chains: number;
  readonly records: number;
  readonly breaks: readonly ChainBreak[];
  /** The latest checkpoint verified against; `null` when there was none (unanchored); absent when not asked. */
  readonly anchor?: AuditAnchorSummary | null;
}

export interface AuditReader {
  /** Throws InvalidAuditQueryError (field `cursor`) for a cursor this reader did not produce. */
  exportRecords(query: AuditExportQuery): Promise<AuditPage>;
  /**
   * `now` in epoch ms decides which records' retention has ended. `anchors` (the latest checkpoint's heads by
   * chain id) adds the chains it names to those verified and checks each against its anchored head.
   */
  verifyAll(now: number, anchors?: ReadonlyMap<string, AnchoredHead>): Promise<AuditVerificationSummary>;
  /** Chain by chain, for callers that report progress. */
  verifyEach(now: number, anchors?: ReadonlyMap<string, AnchoredHead>): AsyncIterable<ChainVerification>;
}

/** What the checkpoint writer reads: chain ids, heads, and the records appended since the last checkpoint. */
export interface AuditChainReader {
  listChains(): Promise<string[]>;
  /** `null` when the chain has no (well-formed) head item. */
  readHead(chainId: string): Promise<ChainHead | null>;
  /** Records `fromSeq` through `toSeq` as stored (any order, malformed ones included). */
  readSegment(chainId: string, fromSeq: number, toSeq: number): Promise<StoredRecord[]>;
}
