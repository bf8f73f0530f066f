import type { AuditEvent } from '../core/audit/audit-event';
import type { Policy } from '../core/policy/policy-schema';
import type { Weakening } from '../core/policy/weakening';
import type { BacktestSummary } from '../core/simulation/backtest-summary';
import type { PolicyRecord } from './policy-store';

/**
 * What the admin API needs from the policy table: versions (immutable), the active pointer (moved only by a
 * conditional write), pending changes awaiting a second person, and the shadow candidate. Every write takes the
 * audit events that describe it and records them atomically with it: a change without its audit record, or an
 * audit record of a change that did not happen, cannot exist.
 */
export interface StoredPolicyVersion extends PolicyRecord {
  /** Who approved it, when the change needed a second person. */
  readonly approvedBy?: string;
}

export type PolicyVersionSummary = Omit<StoredPolicyVersion, 'policy'>;

export interface PolicyVersionPage {
  readonly versions: readonly PolicyVersionSummary[];
  /** Pass back as `before` for the next (older) page. */
  readonly nextBefore?: number;
}

export type PendingStatus = 'pending' | 'approved' | 'rejected';

export interface PendingChange {
  /** The version the change becomes when approved (base + 1). */
  readonly version: number;
  readonly baseVersion: number;
  readonly policy: Policy;
  readonly reason: string;
  /** Display name of the proposer, and their stable subject (compared to refuse self-approval). */
  readonly proposedBy: string;
  readonly proposedBySubject: string;
  readonly proposedAt: string;
  readonly status: PendingStatus;
  /** The edits that weaken protection (why a second person must approve even when approval is off). */
  readonly weakening?: readonly Weakening[];
  /** Recent decisions replayed under the active policy and the proposal, for a weakening change. */
  readonly backtest?: BacktestSummary;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly decisionNote?: string;
}

export interface NewPolicyVersion {
  /** The version the caller read (If-Match); the write fails as `stale` if the active one moved since. */
  readonly expectedVersion: number;
  /** The document, its `version` already set to expectedVersion + 1. */
  readonly policy: Policy;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string;
  readonly approvedBy?: string;
}

export interface ShadowRun {
  readonly runId: string;
  readonly policy: Policy;
  readonly status: 'running' | 'stopped';
  /** ISO-8601. */
  readonly startedAt: string;
  readonly startedBy: string;
  readonly reason: string;
  readonly stoppedAt?: string;
  readonly stoppedBy?: string;
}

/** What the decide path scores beside the live policy. */
export interface ShadowCandidate {
  readonly runId: string;
  readonly policy: Policy;
}

export interface PolicyAdminStore {
  getActive(): Promise<PolicyRecord | undefined>;
  getVersion(version: number): Promise<StoredPolicyVersion | undefined>;
  listVersions(options: { limit: number; before?: number }): Promise<PolicyVersionPage>;
  /** Stores the new version and makes it active, atomically with `audit`. */
  apply(change: NewPolicyVersion, audit: readonly AuditEvent[]): Promise<'applied' | 'stale'>;
  /** Stores a change awaiting approval; one pending change per base version. */
  propose(change: PendingChange, audit: readonly AuditEvent[]): Promise<'proposed' | 'stale' | 'already_pending'>;
  getPending(version: number): Promise<PendingChange | undefined>;
  listPending(): Promise<readonly PendingChange[]>;
  /** Applies a pending change (still pending, base still active) and marks it approved. */
  approve(
    pending: PendingChange,
    approval: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'applied' | 'stale' | 'not_pending'>;
  reject(
    pending: PendingChange,
    rejection: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'rejected' | 'not_pending'>;
  getShadow(): Promise<ShadowRun | undefined>;
  getShadowRun(runId: string): Promise<ShadowRun | undefined>;
  startShadow(run: ShadowRun, audit: readonly AuditEvent[]): Promise<'started' | 'already_running'>;
  stopShadow(
    run: ShadowRun,
    stop: { by: string; at: string },
    audit: readonly AuditEvent[],
  ): Promise<'stopped' | 'not_running'>;
}
