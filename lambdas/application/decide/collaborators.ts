import type { Decision, EvaluationInput, StepUpRequirement } from '../../core/risk/types';
import type { DecisionState, StoredStepUp } from '../../ports/decision-store';
import type { ShadowCandidate } from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';
import type { DecisionRequest, DecisionResponse } from './decision-request';

/**
 * What the decision workflow is given rather than does itself. Each has one implementation in this folder and can
 * be replaced (the workflow's unit tests do, with small in-memory ones).
 */

/** The active policy per instance, refreshed by the decision's own read (see PolicyCache). */
export interface PolicySource {
  /** The cached policy while it is fresh; undefined means "read it with this decision". */
  fresh(now: number): PolicyRecord | undefined;
  /** The last policy known however old: fail-closed answers need its levels. */
  lastKnown(): PolicyRecord | undefined;
  accept(record: PolicyRecord, now: number): void;
}

export interface ShadowResult {
  readonly policyVersion: number;
  readonly decision: string;
  readonly score: number;
  readonly runId?: string;
}

export interface ShadowScorer {
  /** Scores the same input under the candidate policy, if one is active; never throws, never slows the answer. */
  score(input: EvaluationInput): ShadowResult | undefined;
  /** The candidate as read with the policy (same read, same cache bound); `null` when no shadow run is active. */
  refresh?(candidate: ShadowCandidate | null): void;
}

export interface DecisionTokenClaims {
  readonly sub: string;
  readonly decisionId: string;
  readonly decision: Decision;
  readonly stepUpId?: string;
  readonly score: number;
  readonly policyVersion: number;
  readonly now: number;
}

/** Signs the short-lived sign-in decision token that the Cognito triggers verify (auth.sign_in only). */
export type DecisionTokenSigner = (claims: DecisionTokenClaims) => Promise<string>;

/** A new pending step-up and how the answer presents it. */
export interface IssuedStepUp {
  readonly stored: StoredStepUp;
  readonly answer: NonNullable<DecisionResponse['stepUp']>;
  readonly wwwAuthenticate: string;
}

/** Creates the pending step-up a `step_up` decision stores with its record. */
export interface StepUpIssuer {
  issue(input: {
    readonly request: DecisionRequest;
    readonly decisionId: string;
    readonly requirement: StepUpRequirement;
    /** The request in its stored form: a passed step-up teaches these to the profile. */
    readonly features: DecisionRequest['features'];
  }): IssuedStepUp;
}

/** What an earlier answer under the same request id means for this request. */
export type IdempotencyCheck =
  { readonly kind: 'fresh' } | { readonly kind: 'replay'; readonly response: unknown } | { readonly kind: 'reused' };

/** Request ids: the key a request's first answer is kept under, and what a stored answer means for a request. */
export interface Idempotency {
  keyOf(request: DecisionRequest): string | undefined;
  check(request: DecisionRequest, replay: DecisionState['replay']): IdempotencyCheck;
}
