import type { Policy } from '../../core/policy/policy-schema';
import { weakeningChanges, type Weakening } from '../../core/policy/weakening';
import type { PendingChange } from '../../ports/policy-admin-store';
import type { UserActor } from '../actor';
import { RefusedError } from '../errors';

/** Why a change waits for a second person: the policy in force asks for approval, the change weakens protection. */
export type ApprovalReason = 'policy' | 'weakening';

/** Weakening edits listed on a pending change and in its audit record; `weakeningCount` has the full number. */
export const MAX_LISTED_WEAKENING = 200;

export interface SecondPersonRule {
  /** Empty: one admin may apply the change alone. */
  readonly because: ApprovalReason[];
  /** Every edit that weakens protection (the reason a second person must look even with approval off). */
  readonly weakening: Weakening[];
}

/**
 * Who must agree to a change. The rule in force decides: a change that switches approval off still needs the
 * approval it switches off. A change that weakens protection needs a second person whatever the policy says: one
 * admin alone can tighten the policy, never loosen it.
 */
export function secondPersonRule(current: Policy, proposal: Policy): SecondPersonRule {
  const weakening = weakeningChanges(current, proposal);
  const because: ApprovalReason[] = [];
  if (current.approval.required) because.push('policy');
  if (weakening.length > 0) because.push('weakening');
  return { because, weakening };
}

/** The proposer of a change cannot approve it: the second person must be another (by stable subject, not name). */
export function requireSecondPerson(pending: PendingChange, approver: UserActor): void {
  if (pending.proposedBySubject === approver.subject) {
    throw new RefusedError('a second person must approve: you proposed this change');
  }
}
