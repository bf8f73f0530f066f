import { evaluate } from '../../core/risk/engine';
import type { EvaluationInput } from '../../core/risk/types';
import type { ShadowCandidate } from '../../ports/policy-admin-store';
import type { ShadowScorer } from './collaborators';

/**
 * Shadow mode in the decide path: scores every decision's exact input a second time under the candidate policy.
 *
 * The candidate is not read separately: the SHADOW item rides along in the decision's own BatchGet whenever the
 * active policy is refreshed (see DynamoDbDecisionStore.load), and `refresh` hands it over. So shadow mode costs no
 * extra round trip, and starting or stopping a run reaches every instance within the policy cache bound (5 s),
 * exactly like a policy change. Scoring is pure CPU (~10 µs); a candidate that cannot answer (an action missing
 * from its catalogue) or any other failure yields no shadow result, never a failed decision.
 */
export class CachedShadowScorer implements ShadowScorer {
  private candidate: ShadowCandidate | null = null;

  constructor(private readonly onError?: (summary: Record<string, unknown>) => void) {}

  refresh(candidate: ShadowCandidate | null): void {
    this.candidate = candidate;
  }

  get active(): ShadowCandidate | null {
    return this.candidate;
  }

  score(input: EvaluationInput): { policyVersion: number; decision: string; score: number; runId: string } | undefined {
    const candidate = this.candidate;
    if (!candidate) return undefined;
    try {
      const evaluation = evaluate({ ...input, policy: candidate.policy });
      return {
        runId: candidate.runId,
        policyVersion: candidate.policy.version,
        decision: evaluation.decision,
        score: evaluation.score,
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'unknown_action') {
        this.onError?.({
          event: 'shadow_scoring_failed',
          name: (error as Error)?.name,
          message: (error as Error)?.message,
        });
      }
      return undefined;
    }
  }
}
