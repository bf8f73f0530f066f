import type { FailureOrigin } from '../core/risk/learning';
import type { Evaluation, GlobalStats, RequestFeatures, UserProfile, VelocityCounts } from '../core/risk/types';
import type { ReplayInput } from '../core/simulation/replay-input';
import type { ShadowCandidate } from './policy-admin-store';
import type { PolicyRecord } from './policy-store';

/** What one decision needs to know, fetched in ONE read round trip. */
export interface DecisionReadRequest {
  readonly userId: string;
  readonly features: RequestFeatures;
  readonly stepUpId?: string;
  /** Client-scoped idempotency key; a hit returns the earlier response instead of deciding again. */
  readonly idempotencyKey?: string;
  /** Include the active policy item (the policy cache is stale). */
  readonly includePolicy: boolean;
  readonly now: number;
  /**
   * Count this request in the user's and the IP's velocity windows, in the same round trip, and return the counts
   * as they stood just before it. Counting and reading are one atomic step per counter, so requests in flight at
   * the same moment see each other (each in some order); without it, the counts are only read. A decision counts
   * once: on its first read, not on the reads of its retries.
   */
  readonly count?: boolean;
}

export interface StoredStepUp {
  readonly stepUpId: string;
  readonly userId: string;
  readonly action: string;
  readonly decisionId: string;
  readonly acr: string;
  readonly methods: readonly string[];
  readonly maxAgeSeconds: number;
  readonly status: 'pending' | 'granted' | 'failed';
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly grantedAt?: number;
  readonly consumed: boolean;
  readonly deviceId?: string;
  readonly sessionId?: string;
  /** The request that asked for the step-up: a passed step-up teaches these to the user's profile. */
  readonly features: RequestFeatures;
  /** Optimistic-lock counter for concurrent updates (grant consumption, status changes). */
  readonly revision: number;
}

export interface DecisionState {
  readonly profile?: UserProfile;
  readonly profileRevision: number;
  readonly velocity: VelocityCounts;
  readonly global: GlobalStats;
  readonly stepUp?: StoredStepUp;
  /** An earlier decision with the same idempotency key; `bodyHash` tells a true retry from a reused key. */
  readonly replay?: { readonly decisionId: string; readonly response: unknown; readonly bodyHash: string };
  readonly policy?: PolicyRecord;
  /** Read with the policy: the shadow candidate being scored, `null` when no shadow run is active. */
  readonly shadow?: ShadowCandidate | null;
}

export interface DecisionRecord {
  readonly decisionId: string;
  readonly userId: string;
  readonly action: string;
  readonly at: number;
  readonly clientId: string;
  readonly sessionId?: string;
  readonly requestId?: string;
  readonly features: RequestFeatures;
  readonly evaluation: Evaluation;
  readonly policyVersion: number;
  readonly stepUpId?: string;
  readonly redeemedStepUpId?: string;
  readonly shadow?: {
    readonly policyVersion: number;
    readonly decision: string;
    readonly score: number;
    readonly runId?: string;
  };
  /** What re-running the engine on this decision needs (simulate, shadow checks); see replay-input.ts. */
  readonly replay?: ReplayInput;
}

export interface DecisionWrite {
  readonly record: DecisionRecord;
  readonly response: unknown;
  readonly idempotencyKey?: string;
  readonly bodyHash?: string;
  /** The profile after learning, when this decision teaches it; written only if unchanged since the read. */
  readonly profile?: { readonly next: UserProfile; readonly expectedRevision: number; readonly previous?: UserProfile };
  readonly newStepUp?: StoredStepUp;
  /** A single-use grant consumed by this decision (critical actions): fails the write if already consumed. */
  readonly consumeGrant?: { readonly stepUpId: string; readonly expectedRevision: number };
  readonly retentionDays: number;
  /** Server time the request arrived (epoch ms); the population counters' expiry uses it. Defaults to `record.at`. */
  readonly receivedAt?: number;
}

/**
 * `audit_rejected`: the transaction was cancelled on the audit record's own items (its chain moved on under this
 * writer); nothing was written, and the audit log has dropped that chain, so deciding again appends to a new one.
 */
export type DecisionWriteResult =
  'written' | 'duplicate_request' | 'grant_already_used' | 'profile_changed' | 'audit_rejected';

export interface DecisionStore {
  load(request: DecisionReadRequest): Promise<DecisionState>;
  /** One write round trip: the decision's transaction plus the atomic counters, sent in parallel. */
  commit(write: DecisionWrite): Promise<DecisionWriteResult>;
}

export type Outcome = 'succeeded' | 'failed' | 'abandoned';

export interface StoredDecision {
  readonly decisionId: string;
  readonly userId: string;
  readonly action: string;
  readonly clientId: string;
  readonly decision: string;
  readonly at: number;
  readonly outcome?: Outcome;
  /** Where the decision's request came from: its client IP and network (ASN, else prefix). */
  readonly origin?: FailureOrigin;
}

/** What the outcome route needs: find a decision, record what happened once, count failures. */
export interface OutcomeStore {
  getDecision(decisionId: string): Promise<StoredDecision | undefined>;
  /** Sets the outcome once; 'same' when that outcome was already recorded, 'conflict' when another one was. */
  recordOutcome(decisionId: string, outcome: Outcome, now: number): Promise<'recorded' | 'same' | 'conflict'>;
  /** `origin`: where the failed attempt came from, when known (see the adapter for what it feeds). */
  recordFailure(userId: string, kind: 'signIns' | 'stepUps', now: number, origin?: FailureOrigin): Promise<void>;
}
