import { diffPolicies } from '../../core/policy/policy-diff';
import type { PendingChange, PolicyAdminStore } from '../../ports/policy-admin-store';
import type { Clock } from '../../ports/clock';
import type { PolicyRecord } from '../../ports/policy-store';
import { displayName, type UserActor } from '../actor';
import { ConflictError, NotFoundError } from '../errors';
import { auditChanges, auditWeakening, changeEvent, policySummary, sha256 } from './policy-audit';
import { requireSecondPerson } from './second-person';

export interface ReviewDependencies {
  readonly policies: Pick<PolicyAdminStore, 'getPending' | 'getVersion' | 'approve' | 'reject'>;
  readonly clock: Clock;
  /** The base of a change proposed while the table held no policy (version 0). */
  readonly fallbackPolicy: PolicyRecord;
}

export interface ReviewRequest {
  readonly actor: UserActor;
  /** The version the pending change would become. */
  readonly version: number;
  /** The reviewer's note, kept with the decision and in its audit record. */
  readonly note?: string;
}

const decidedMeanwhile = () => new ConflictError('this change was approved or rejected meanwhile');

async function pendingChange(deps: ReviewDependencies, version: number): Promise<PendingChange> {
  const pending = await deps.policies.getPending(version);
  if (!pending || pending.status !== 'pending') throw new NotFoundError('no change awaiting approval for this version');
  return pending;
}

/**
 * A second person approves a pending change: it becomes the active version if its base still is, recorded as
 * `policy.approved` and `policy.changed` in the same transaction. Its proposer cannot approve it.
 */
export async function approveChange(deps: ReviewDependencies, request: ReviewRequest): Promise<{ version: number }> {
  const { actor, note } = request;
  const pending = await pendingChange(deps, request.version);
  requireSecondPerson(pending, actor);
  const base = pending.baseVersion === 0 ? deps.fallbackPolicy : await deps.policies.getVersion(pending.baseVersion);
  const changes = base ? diffPolicies(base.policy, pending.policy) : [];
  const at = new Date(deps.clock()).toISOString();
  const common = {
    action: 'policy.update',
    policyVersion: pending.version,
    why: pending.reason,
    before: { version: pending.baseVersion, ...(base ? { sha256: sha256(base.policy) } : {}) },
    after: policySummary({ version: pending.version, policy: pending.policy }),
  };
  const data = {
    changes: auditChanges(changes),
    ...(pending.weakening ? { weakening: auditWeakening(pending.weakening) } : {}),
    ...(pending.backtest ? { backtest: pending.backtest } : {}),
    proposedBy: pending.proposedBy,
    proposedAt: pending.proposedAt,
    ...(note ? { approvalNote: note } : {}),
  };
  const result = await deps.policies.approve(pending, { by: displayName(actor), at, ...(note ? { note } : {}) }, [
    changeEvent(actor, at, 'policy.approved', `policy:v${pending.version}:approved`, {
      ...common,
      outcome: 'approved',
      data,
    }),
    changeEvent(actor, at, 'policy.changed', `policy:v${pending.version}:changed`, {
      ...common,
      outcome: 'applied',
      data,
    }),
  ]);
  if (result === 'stale') {
    throw new ConflictError(
      `the active policy is no longer version ${pending.baseVersion}: reject this change and propose it again`,
      { field: 'version' },
    );
  }
  if (result === 'not_pending') throw decidedMeanwhile();
  return { version: pending.version };
}

/**
 * Anyone who may change the policy may reject a pending change (its proposer included: withdrawing needs no second
 * person). Recorded as `policy.rejected`; the active policy is untouched.
 */
export async function rejectChange(deps: ReviewDependencies, request: ReviewRequest): Promise<{ version: number }> {
  const { actor, note } = request;
  const pending = await pendingChange(deps, request.version);
  const at = new Date(deps.clock()).toISOString();
  const result = await deps.policies.reject(pending, { by: displayName(actor), at, ...(note ? { note } : {}) }, [
    changeEvent(actor, at, 'policy.rejected', `policy:v${pending.version}:rejected:${pending.proposedAt}`, {
      action: 'policy.update',
      policyVersion: pending.version,
      outcome: 'rejected',
      ...(note ? { why: note } : {}),
      data: { proposedBy: pending.proposedBy, proposedAt: pending.proposedAt },
    }),
  ]);
  if (result === 'not_pending') throw decidedMeanwhile();
  return { version: pending.version };
}
