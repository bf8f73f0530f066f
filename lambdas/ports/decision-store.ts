import type { FailureOrigin } from '../core/risk/learning';
import type { Evaluation, GlobalStats, RequestFeatures, UserProfile, VelocityCounts } from '../core/risk/types';
import type { ReplayInput } from '../core/simulation/replay-input';
import type { ShadowCandidate } from './policy-admin-store';
import type { PolicyRecord } from './policy-store';

/**
 * The subjects of a request's address velocity counters, as the counter items are keyed: keyed pseudonyms of the
 * canonical address and, for native IPv6, of its /64 (`velocityNetwork`), whatever the privacy setting, so that
 * counting never depends on a policy the same round trip is still reading.
 */
export interface VelocityKeys {
  readonly ip: string;
  readonly network?: string;
}

/** What one decision needs to know, fetched in ONE read round trip. */
export interface DecisionReadRequest {
  readonly userId: string;
  /** The request in the form its records are stored in: the population counters of its context are read. */
  readonly features: RequestFeatures;
  /**
   * The same request in the other form (raw or pseudonymized), while the privacy setting is not known (the policy
   * rides along in this read): its population counters are read too and answered in `globalAlternative`.
   */
  readonly alternativeFeatures?: RequestFeatures;
  readonly velocityKeys: VelocityKeys;
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
  /** Population counts of `alternativeFeatures`, when they were asked for. */
  readonly globalAlternative?: GlobalStats;
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
  /**
   * The profile after learning (`learned`), or after its identifiers were rewritten to the privacy setting's form;
   * written only if unchanged since the read. Population counters move only with learning: `previous` (the profile
   * read) tells which values became trusted for the user with this decision.
   */
  readonly profile?: {
    readonly next: UserProfile;
    readonly expectedRevision: number;
    readonly learned: boolean;
    readonly previous?: UserProfile;
  };
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
  /** Where the decision's request came from: its client IP and network (AS number, else prefix). */
  readonly origin?: FailureOrigin;
}

/** What the outcome route needs: find a decision, record what happened once. */
export interface OutcomeStore {
  getDecision(decisionId: string): Promise<StoredDecision | undefined>;
  /** Sets the outcome once; 'same' when that outcome was already recorded, 'conflict' when another one was. */
  recordOutcome(decisionId: string, outcome: Outcome, now: number): Promise<'recorded' | 'same' | 'conflict'>;
}

/** Failed sign-ins (reported outcomes) and failed step-up tries, counted per user for the velocity signals. */
export type FailureKind = 'signIns' | 'stepUps';

/** Where a failed attempt came from, as the failure counter needs it. */
export interface FailureSource extends FailureOrigin {
  /**
   * The address's velocity subject (`VelocityKeys.ip`: a keyed pseudonym whatever the privacy setting), for the
   * per-address failure counters; `ip` and `network` are in the stored records' form, for the profile.
   */
  readonly counterIp?: string;
}

export interface FailureCounter {
  /** `origin`: where the failed attempt came from, when known (see the adapter for what it feeds). */
  recordFailure(userId: string, kind: FailureKind, now: number, origin?: FailureSource): Promise<void>;
}
