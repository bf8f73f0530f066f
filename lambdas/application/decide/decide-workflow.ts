import { UnknownActionError } from '../../core/errors';
import { failClosed, type FailClosedCause } from '../../core/risk/fail-closed';
import type { Decision, VelocityCounts } from '../../core/risk/types';
import { wwwAuthenticate } from '../../core/risk/www-authenticate';
import type { DecisionStore } from '../../ports/decision-store';
import type { PolicyRecord } from '../../ports/policy-store';
import { answer, type AnswerDependencies } from './answer';
import { buildWrite } from './build-write';
import type { DecisionRequest, DecisionResponse } from './decision-request';
import { evaluateRequest } from './evaluate';
import { load, type LoadDependencies } from './load';

/**
 * How many times one decision is tried (its first try included) before it ends `decision.unrecorded`. A try is
 * lost, and the decision taken again on freshly read state, when its write finds that someone else got there
 * first: another decision of the same user moved the profile (`profile_changed`), a concurrent request took the
 * same request id (`duplicate_request`: the retry then replays its answer) or the single-use grant
 * (`grant_already_used`), or the audit chain moved on under this writer (`audit_rejected`: the audit log has
 * dropped that chain, so the retry appends to a new one). Each try costs one read and one write round trip, so
 * four keep the worst case to a few tens of milliseconds while a burst of a handful of concurrent requests for one
 * user is still recorded in turn.
 */
export const MAX_DECISION_TRIES = 4;

/**
 * The tries that may redeem a presented grant. A grant lost twice in a row is contested (another decision keeps
 * consuming or changing it); deciding the later tries without it can only add friction (the action then asks for a
 * step-up again), never remove it, and lets the decision be recorded.
 */
export const GRANT_TRIES = 2;

export interface DecideWorkflowDependencies extends LoadDependencies, AnswerDependencies {
  readonly store: DecisionStore;
  readonly onDecision?: (decision: Decision, failedClosed: boolean) => void;
  readonly logError: (summary: Record<string, unknown>) => void;
}

export type DecideResult =
  | { readonly kind: 'decided'; readonly response: DecisionResponse }
  /** The store could not be used, or the decision could not be recorded: the policy's failMode answered. */
  | { readonly kind: 'failed_closed'; readonly cause: FailClosedCause; readonly response: DecisionResponse }
  /** The same request id with the same body was answered before: its first answer, unchanged. */
  | { readonly kind: 'replayed'; readonly response: unknown }
  /** The request id was used before for a different request. */
  | { readonly kind: 'request_id_reused' };

/**
 * The decision use case: load (one read round trip) → evaluate (the pure core) → answer → build the write →
 * commit (one write round trip), tried again on fresh state when the write lost a race (`MAX_DECISION_TRIES`).
 * Fails closed: when the store cannot be reached the answer comes from the policy's failMode, never `allow` for
 * medium and above; a decision that could not be recorded is never `allow` at all.
 *
 * @throws UnknownActionError when the action is not in the deciding policy's catalogue.
 */
export class DecideWorkflow {
  constructor(private readonly deps: DecideWorkflowDependencies) {}

  async decide(request: DecisionRequest): Promise<DecideResult> {
    const { deps } = this;
    let counted: VelocityCounts | undefined;
    for (let tries = 1; ; tries++) {
      let loaded;
      try {
        loaded = await load(deps, request, counted);
      } catch (error) {
        return this.failClosed(request.action, error);
      }
      counted ??= loaded.state.velocity;
      const earlier = deps.idempotency.check(request, loaded.state.replay);
      if (earlier.kind === 'replay') return { kind: 'replayed', response: earlier.response };
      if (earlier.kind === 'reused') return { kind: 'request_id_reused' };
      if (!loaded.policy.policy.actions[request.action]) throw new UnknownActionError(request.action);

      const evaluated = evaluateRequest(request, loaded, counted, tries <= GRANT_TRIES);
      const answered = await answer(deps, request, loaded, evaluated);
      const write = buildWrite(request, loaded, evaluated, answered, deps.idempotency.keyOf(request));
      let result;
      try {
        result = await deps.store.commit(write);
      } catch (error) {
        return this.failClosed(request.action, error, loaded.policy);
      }
      if (result === 'written') {
        deps.onDecision?.(evaluated.evaluation.decision, false);
        return { kind: 'decided', response: answered.response };
      }
      if (tries < MAX_DECISION_TRIES) continue;
      const error = new Error(`decision write kept failing: ${result}`);
      return this.failClosed(request.action, error, loaded.policy, 'unrecorded');
    }
  }

  /**
   * The answer when a decision cannot be made or recorded: the failMode of the action's level in the policy known
   * (the one just read, else the last cached, else the built-in default).
   */
  failClosed(
    action: string,
    error: unknown,
    known?: PolicyRecord,
    cause: FailClosedCause = 'store_unavailable',
  ): DecideResult {
    const { deps } = this;
    const record = known ?? deps.policies.lastKnown() ?? deps.fallbackPolicy;
    if (!record.policy.actions[action]) throw new UnknownActionError(action);
    deps.logError({
      event: 'decision_failed_closed',
      name: (error as Error)?.name,
      message: (error as Error)?.message,
    });
    const evaluation = failClosed(record.policy, action, cause);
    deps.onDecision?.(evaluation.decision, true);
    return {
      kind: 'failed_closed',
      cause,
      response: {
        decisionId: deps.newId(),
        decision: evaluation.decision,
        score: evaluation.score,
        riskLevel: evaluation.riskLevel,
        reasons: evaluation.reasons,
        policyVersion: record.version,
        ...(evaluation.stepUp ? { wwwAuthenticate: wwwAuthenticate(evaluation.stepUp) } : {}),
      },
    };
  }
}
