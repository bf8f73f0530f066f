import type { Policy } from '../core/policy/policy-schema';

export interface PolicyRecord {
  readonly version: number;
  readonly policy: Policy;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason?: string;
}

/** The active policy, as a cached read. Writers (admin API) have their own richer port. */
export interface ActivePolicySource {
  active(): Promise<PolicyRecord>;
}
