import type { PolicyChange } from '../../core/policy/policy-diff';
import type { Policy } from '../../core/policy/policy-schema';
import type { Weakening } from '../../core/policy/weakening';
import type { BacktestSummary } from '../../core/simulation/backtest-summary';
import type { Reason } from '../../core/risk/types';
import type { ReplayEventJson } from '../../core/simulation/replay-event-json';
import type { FeedbackLabel, SimulationReport } from '../../core/simulation/simulation';
import type { Feedback, RecordedShadow } from '../../ports/admin-event-store';
import type { PolicyVersionPage } from '../../ports/policy-admin-store';

/**
 * The admin API's response bodies: what the handler sends (it type-checks against these) and what the `stepgate`
 * CLI reads. Errors are `{"error": {"code", "message", "field"?, ...}}` like every stepgate API.
 */

/** `GET /v1/admin/policy` (with `ETag: "<version>"`). */
export interface PolicyResponse {
  readonly version: number;
  readonly policy: Policy;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason?: string;
}

/**
 * `PUT /v1/admin/policy`: 200 applied (or `unchanged`), 202 `pending_approval` when the policy in force asks for
 * approval or the change weakens protection (`weakening` lists why, `backtest` its effect on recent decisions).
 */
export interface PutPolicyResponse {
  readonly version: number;
  readonly unchanged?: true;
  readonly effectiveWithinSeconds?: number;
  readonly status?: 'pending_approval';
  /** Why a second person must approve: the policy asks for it, the change weakens protection, or both. */
  readonly approvalRequiredBecause?: readonly ('policy' | 'weakening')[];
  readonly weakening?: readonly Weakening[];
  readonly backtest?: BacktestSummary;
  readonly approve?: string;
  readonly reject?: string;
}

export type VersionsResponse = PolicyVersionPage;

export interface DiffResponse {
  readonly from: number;
  readonly to: number;
  readonly changes: readonly PolicyChange[];
}

export interface PendingView {
  readonly version: number;
  readonly baseVersion: number;
  readonly reason: string;
  readonly proposedBy: string;
  readonly proposedAt: string;
  readonly status: string;
  /** The active policy moved since the proposal: it can only be rejected. */
  readonly stale: boolean;
  readonly changes?: readonly PolicyChange[];
  /** The edits that weaken protection, and their backtest: what the approver is asked to accept. */
  readonly weakening?: readonly Weakening[];
  readonly backtest?: BacktestSummary;
}

export interface PendingResponse {
  readonly activeVersion: number;
  readonly pending: readonly PendingView[];
}

/** `POST .../pending/{version}/approve` and `/reject`. */
export interface ReviewResponse {
  readonly version: number;
  readonly status?: 'rejected';
  readonly effectiveWithinSeconds?: number;
}

export interface ChunkProgress {
  readonly from: string;
  readonly to: string;
  /** How far through the window this call read (replays go in time order). */
  readonly position: string;
}

/** `POST /v1/admin/policy/simulate`: one chunk; pass `cursor` back until `complete`, merge the reports. */
export interface ReplayChunkResponse {
  readonly complete: boolean;
  readonly cursor?: string;
  readonly progress: ChunkProgress;
  readonly report: SimulationReport;
}

export interface ShadowRunView {
  readonly runId: string;
  readonly status: 'running' | 'stopped';
  readonly candidateVersion: number;
  readonly startedAt: string;
  readonly startedBy: string;
  readonly reason: string;
  readonly stoppedAt?: string;
  readonly stoppedBy?: string;
  readonly policy?: Policy;
  readonly effectiveWithinSeconds?: number;
}

/** `GET /v1/admin/shadow`. */
export type ShadowStatusResponse = ShadowRunView | { readonly status: 'none' };

/** `GET /v1/admin/shadow/report`: chunked like simulate. */
export interface ShadowReportResponse extends ReplayChunkResponse {
  readonly run: ShadowRunView;
}

export interface EventView {
  readonly decisionId: string;
  readonly at: string;
  readonly userId: string;
  readonly action: string;
  readonly decision: string;
  readonly score: number;
  readonly policyVersion: number;
  readonly reasons: readonly Reason[];
  readonly clientId: string;
  readonly context: {
    readonly ip: string;
    readonly deviceId?: string;
    readonly country?: string;
    readonly region?: string;
    readonly city?: string;
    readonly browser?: string;
    readonly os?: string;
    readonly deviceType: string;
  };
  readonly outcome?: string;
  readonly feedback?: Feedback;
  readonly shadow?: RecordedShadow;
  readonly replayable: boolean;
}

/** `GET /v1/admin/users/{userId}/events`. */
export interface UserEventsResponse {
  readonly userId: string;
  readonly events: readonly EventView[];
  readonly cursor?: string;
}

/** `GET /v1/admin/events`: replayable events of a window (the offline simulate input). */
export interface EventsExportResponse {
  readonly events: readonly ReplayEventJson[];
  readonly cursor?: string;
  readonly progress: ChunkProgress;
}

/** `POST /v1/admin/events/{decisionId}/feedback`. */
export interface FeedbackResponse {
  readonly decisionId: string;
  readonly label: FeedbackLabel | 'none';
  readonly note?: string;
  readonly by?: string;
  readonly at?: string;
  readonly revision?: number;
}
