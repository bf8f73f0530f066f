import { diffPolicies, type PolicyChange } from '../../core/policy/policy-diff';
import type { PendingChange, PolicyAdminStore } from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';
import { InvalidInputError } from '../errors';
import { activePolicy, type PolicySource } from './active-policy';

export interface PolicyHistoryDependencies extends PolicySource {
  readonly policies: Pick<PolicyAdminStore, 'getActive' | 'getVersion' | 'listPending'>;
}

/** The changes from version `from` to version `to` (default: the active one); version 0 is the built-in default. */
export async function diffVersions(
  deps: PolicyHistoryDependencies,
  from: number,
  to: number | undefined,
): Promise<{ from: number; to: number; changes: PolicyChange[] }> {
  const current = await activePolicy(deps);
  const target = to ?? current.version;
  const load = async (version: number, field: string): Promise<PolicyRecord> => {
    if (version === current.version) return current;
    if (version === 0) return deps.fallbackPolicy;
    const record = await deps.policies.getVersion(version);
    if (!record) throw new InvalidInputError(`${field}: no version ${version}`, field);
    return record;
  };
  const [a, b] = await Promise.all([load(from, 'from'), load(target, 'to')]);
  return { from, to: target, changes: diffPolicies(a.policy, b.policy) };
}

/** A change awaiting approval as the approver sees it: stale once the active policy moved past its base. */
export interface PendingReview {
  readonly change: PendingChange;
  readonly stale: boolean;
  /** Against the active policy; only while not stale. */
  readonly changes?: PolicyChange[];
}

export async function pendingReviews(
  deps: PolicyHistoryDependencies,
): Promise<{ activeVersion: number; pending: PendingReview[] }> {
  const [pending, current] = await Promise.all([deps.policies.listPending(), activePolicy(deps)]);
  return {
    activeVersion: current.version,
    pending: pending.map((change) => {
      const stale = change.baseVersion !== current.version;
      return { change, stale, ...(stale ? {} : { changes: diffPolicies(current.policy, change.policy) }) };
    }),
  };
}
