import { isGeneratedId } from '../../contracts/identifiers';
import type { Clock } from '../../ports/clock';
import type { FailureOrigin } from '../../core/risk/learning';
import type { FailureCounter, FailureSource, Outcome, OutcomeStore } from '../../ports/decision-store';

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
      /**
       * The velocity subject of a stored decision's address (held raw or as a pseudonym, by the privacy setting;
       * the per-address counters always use the pseudonym). Undefined when it cannot be had (key unreachable):
       * the user's own failure count still moves, only the per-address count is skipped.
       */
      readonly addressSubject?: (ip: string) => Promise<string | undefined>;
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
      await failures.recordFailure(decision.userId, 'signIns', now, await this.failureSource(decision.origin));
    }
    return 'recorded';
  }

  /** The failed attempt's origin with its address's velocity subject. */
  private async failureSource(origin: FailureOrigin | undefined): Promise<FailureSource | undefined> {
    if (origin?.ip === undefined || !this.deps.addressSubject) return origin;
    const counterIp = await this.deps.addressSubject(origin.ip).catch(() => undefined);
    return counterIp === undefined ? origin : { ...origin, counterIp };
  }
}
