import { isGeneratedId } from '../../contracts/identifiers';
import type { Clock } from '../../ports/clock';
import type { FailureCounter, Outcome, OutcomeStore } from '../../ports/decision-store';

export type RecordOutcomeResult = 'recorded' | 'not_found' | 'conflict';

/**
 * `POST /v1/decisions/{decisionId}/outcome`: what happened after a decision, recorded once. A failed sign-in also
 * counts toward the user's failed sign-ins (the `velocity.failed_sign_ins` signal); the same report repeated counts
 * once. Another app's decision is reported as missing: ids must not let one client probe another's traffic.
 */
export class RecordOutcome {
  constructor(
    private readonly deps: {
      readonly outcomes: OutcomeStore;
      readonly failures: FailureCounter;
      readonly clock: Clock;
    },
  ) {}

  async record(input: { decisionId: string; clientId: string; outcome: Outcome }): Promise<RecordOutcomeResult> {
    const { outcomes, failures } = this.deps;
    const decision = isGeneratedId(input.decisionId) ? await outcomes.getDecision(input.decisionId) : undefined;
    if (!decision || decision.clientId !== input.clientId) return 'not_found';
    const now = this.deps.clock();
    const recorded = await outcomes.recordOutcome(input.decisionId, input.outcome, now);
    if (recorded === 'conflict') return 'conflict';
    if (recorded === 'recorded' && input.outcome === 'failed' && decision.action === 'auth.sign_in') {
      await failures.recordFailure(decision.userId, 'signIns', now);
    }
    return 'recorded';
  }
}
