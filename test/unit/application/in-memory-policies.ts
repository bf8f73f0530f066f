import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import type { PolicyChangeDependencies } from '../../../lambdas/application/policy-change/change-policy';
import type {
  NewPolicyVersion,
  PendingChange,
  PolicyAdminStore,
  StoredPolicyVersion,
} from '../../../lambdas/ports/policy-admin-store';

type PolicyPort = Pick<
  PolicyAdminStore,
  'getActive' | 'getVersion' | 'apply' | 'propose' | 'getPending' | 'listPending' | 'approve' | 'reject'
>;

/**
 * The policy table's change rules in memory: versions, the active pointer moved only from the version the writer
 * read, one pending change per version, and every write's audit events kept with it (in `audit`, in write order).
 */
export class InMemoryPolicies implements PolicyPort {
  readonly versions = new Map<number, StoredPolicyVersion>();
  readonly pending = new Map<number, PendingChange>();
  readonly audit: AuditEvent[] = [];
  active = 0;

  constructor(initial?: Policy) {
    if (initial) {
      this.versions.set(1, { version: 1, policy: { ...initial, version: 1 }, updatedAt: '', updatedBy: 'seed' });
      this.active = 1;
    }
  }

  getActive = () => Promise.resolve(this.versions.get(this.active));
  getVersion = (version: number) => Promise.resolve(this.versions.get(version));
  getPending = (version: number) => Promise.resolve(this.pending.get(version));
  listPending = () => Promise.resolve([...this.pending.values()].filter((p) => p.status === 'pending'));

  apply(change: NewPolicyVersion, audit: readonly AuditEvent[]): Promise<'applied' | 'stale'> {
    if (change.expectedVersion !== this.active) return Promise.resolve('stale');
    const { expectedVersion: _, ...record } = change;
    this.versions.set(change.policy.version, { ...record, version: change.policy.version });
    this.active = change.policy.version;
    this.audit.push(...audit);
    return Promise.resolve('applied');
  }

  propose(change: PendingChange, audit: readonly AuditEvent[]): Promise<'proposed' | 'stale' | 'already_pending'> {
    if (change.baseVersion !== this.active) return Promise.resolve('stale');
    if (this.pending.get(change.version)?.status === 'pending') return Promise.resolve('already_pending');
    this.pending.set(change.version, change);
    this.audit.push(...audit);
    return Promise.resolve('proposed');
  }

  async approve(
    pending: PendingChange,
    approval: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'applied' | 'stale' | 'not_pending'> {
    if (this.pending.get(pending.version)?.status !== 'pending') return 'not_pending';
    if (pending.baseVersion !== this.active) return 'stale';
    this.pending.set(pending.version, { ...pending, status: 'approved', decidedBy: approval.by });
    const applied = await this.apply(
      {
        expectedVersion: pending.baseVersion,
        policy: pending.policy,
        updatedAt: approval.at,
        updatedBy: pending.proposedBy,
        reason: pending.reason,
        approvedBy: approval.by,
      },
      audit,
    );
    return applied;
  }

  reject(
    pending: PendingChange,
    rejection: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'rejected' | 'not_pending'> {
    if (this.pending.get(pending.version)?.status !== 'pending') return Promise.resolve('not_pending');
    this.pending.set(pending.version, { ...pending, status: 'rejected', decidedBy: rejection.by });
    this.audit.push(...audit);
    return Promise.resolve('rejected');
  }
}

export const fallbackPolicy = { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' };

/** The dependencies of the policy-change workflows: these policies, a fixed clock, no recorded decisions. */
export function policyDeps(policies: InMemoryPolicies, now = Date.parse('2026-12-01T10:00:00Z')) {
  let replayed = 0;
  const deps = {
    policies,
    fallbackPolicy,
    clock: () => now,
    events: {
      replayEvents: () => {
        replayed += 1;
        return Promise.resolve({ items: [], position: now });
      },
    },
    replay: { chunkEvents: 100, budgetMs: 1000, elapsed: () => 0 },
  } satisfies PolicyChangeDependencies;
  return { deps, replays: () => replayed };
}

/** A copy of `base` with approval switched on or off. */
export function withApproval(base: Policy, required: boolean): Policy {
  return { ...(JSON.parse(JSON.stringify(base)) as Policy), approval: { required } };
}
