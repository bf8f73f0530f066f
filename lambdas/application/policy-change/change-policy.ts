import type { BacktestSummary } from '../../core/simulation/backtest-summary';
import { diffPolicies } from '../../core/policy/policy-diff';
import type { Weakening } from '../../core/policy/weakening';
import type { PendingChange, PolicyAdminStore } from '../../ports/policy-admin-store';
import { displayName, type UserActor } from '../actor';
import { ConflictError } from '../errors';
import { activePolicy, parseCandidate, type PolicySource } from './active-policy';
import { backtestProposal, type BacktestDependencies } from './backtest';
import { auditChanges, auditWeakening, changeEvent, policySummary } from './policy-audit';
import { MAX_LISTED_WEAKENING, secondPersonRule, type ApprovalReason } from './second-person';

export interface PolicyChangeDependencies extends PolicySource, BacktestDependencies {
  readonly policies: Pick<PolicyAdminStore, 'getActive' | 'apply' | 'propose'>;
}

export interface PolicyChangeRequest {
  readonly actor: UserActor;
  /** The version the caller read (If-Match): the change applies to it, or not at all. */
  readonly expectedVersion: number;
  /** The candidate document, validated here. */
  readonly document: Readonly<Record<string, unknown>>;
  readonly reason: string;
}

export type PolicyChangeResult =
  | { readonly outcome: 'unchanged'; readonly version: number }
  | { readonly outcome: 'applied'; readonly version: number }
  | {
      readonly outcome: 'pending_approval';
      readonly version: number;
      readonly because: readonly ApprovalReason[];
      /** The weakening edits, at most MAX_LISTED_WEAKENING of them. */
      readonly weakening: readonly Weakening[];
      readonly backtest?: BacktestSummary;
    };

function staleConflict(expected: number): ConflictError {
  return new ConflictError(`If-Match: version ${expected} is no longer the active version; read it again`, {
    field: 'If-Match',
  });
}

/**
 * A change of the active policy: applied at once (`policy.changed`), or proposed for a second person's approval
 * (`policy.proposed`, with the weakening edits and their backtest) when the second-person rule asks for one. Either
 * is written atomically with its audit record, and only if the active version is still the one the caller read.
 */
export async function changePolicy(
  deps: PolicyChangeDependencies,
  request: PolicyChangeRequest,
): Promise<PolicyChangeResult> {
  const { actor, expectedVersion: expected, reason } = request;
  const current = await activePolicy(deps);
  if (expected !== current.version) {
    throw new ConflictError(`If-Match: version ${expected} is not the active version (${current.version})`, {
      field: 'If-Match',
      currentVersion: current.version,
    });
  }
  const version = expected + 1;
  const policy = parseCandidate(request.document, version);
  const changes = diffPolicies(current.policy, policy);
  if (changes.length === 0) return { outcome: 'unchanged', version: current.version };
  const at = new Date(deps.clock()).toISOString();
  const fields = {
    action: 'policy.update',
    policyVersion: version,
    why: reason,
    before: policySummary(current),
    after: policySummary({ version, policy }),
    data: { changes: auditChanges(changes) },
  };
  const { because, weakening } = secondPersonRule(current.policy, policy);
  if (because.length === 0) {
    const applied = await deps.policies.apply(
      { expectedVersion: expected, policy, updatedAt: at, updatedBy: displayName(actor), reason },
      [changeEvent(actor, at, 'policy.changed', `policy:v${version}:changed`, { ...fields, outcome: 'applied' })],
    );
    if (applied === 'stale') throw staleConflict(expected);
    return { outcome: 'applied', version };
  }
  const listed = weakening.slice(0, MAX_LISTED_WEAKENING);
  const backtest = weakening.length > 0 ? await backtestProposal(deps, current.policy, policy) : undefined;
  const pending: PendingChange = {
    version,
    baseVersion: current.version,
    policy,
    reason,
    proposedBy: displayName(actor),
    proposedBySubject: actor.subject,
    proposedAt: at,
    status: 'pending',
    ...(listed.length > 0 ? { weakening: listed } : {}),
    ...(backtest ? { backtest } : {}),
  };
  const proposed = await deps.policies.propose(pending, [
    changeEvent(actor, at, 'policy.proposed', `policy:v${version}:proposed:${at}`, {
      ...fields,
      outcome: 'pending_approval',
      data: {
        ...fields.data,
        approvalRequiredBecause: because,
        ...(weakening.length > 0 ? { weakening: auditWeakening(listed), weakeningCount: weakening.length } : {}),
        ...(backtest ? { backtest } : {}),
      },
    }),
  ]);
  if (proposed === 'stale') throw staleConflict(expected);
  if (proposed === 'already_pending') {
    throw new ConflictError(`a change to version ${version} is already awaiting approval`, {
      field: 'If-Match',
      pending: `/v1/admin/policy/pending/${version}`,
    });
  }
  return { outcome: 'pending_approval', version, because, weakening: listed, ...(backtest ? { backtest } : {}) };
}
