import { changePolicy } from '../../../lambdas/application/policy-change/change-policy';
import { approveChange, rejectChange } from '../../../lambdas/application/policy-change/review-change';
import { ConflictError, NotFoundError, RefusedError, WorkflowError } from '../../../lambdas/application/errors';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { fallbackPolicy, InMemoryPolicies, policyDeps, withApproval } from './in-memory-policies';

const ADMIN = { subject: 'sub-admin', username: 'admin@example.com' };
const SECOND = { subject: 'sub-second', username: 'second@example.com' };
/** Another account with the first admin's display name: approval is judged by subject, never by name. */
const NAMESAKE = { subject: 'sub-admin', username: 'someone-else@example.com' };

/** Steps up `high` actions earlier: protection only grows. */
function tighter(base: Policy): Policy {
  const p = JSON.parse(JSON.stringify(base)) as Policy;
  p.levels.high.stepUpAt -= 5;
  return p;
}

/** Steps up `high` actions later: protection shrinks. */
function looser(base: Policy): Policy {
  const p = JSON.parse(JSON.stringify(base)) as Policy;
  p.levels.high.stepUpAt += 10;
  return p;
}

const doc = (p: Policy) => p as unknown as Record<string, unknown>;

describe('policy change workflow (in-memory policy table)', () => {
  describe('changePolicy', () => {
    it('applies a tightening change at once, audited as policy.changed by the actor, with the diff', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      const result = await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 1,
        document: doc(tighter(defaultPolicy)),
        reason: 'more step-ups',
      });
      expect(result).toEqual({ outcome: 'applied', version: 2 });
      expect(policies.active).toBe(2);
      expect(policies.versions.get(2)).toMatchObject({ updatedBy: 'admin@example.com', reason: 'more step-ups' });
      expect(policies.audit).toHaveLength(1);
      expect(policies.audit[0]).toMatchObject({
        kind: 'policy.changed',
        actor: { type: 'user', id: 'sub-admin' },
        outcome: 'applied',
        policyVersion: 2,
        why: 'more step-ups',
        data: { username: 'admin@example.com', changes: [{ path: 'levels.high.stepUpAt', before: '25', after: '20' }] },
      });
    });

    it('refuses a stale If-Match with a conflict naming the active version, and writes nothing', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      const stale = changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 3,
        document: doc(tighter(defaultPolicy)),
        reason: 'r',
      });
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toMatchObject({ details: { field: 'If-Match', currentVersion: 1 } });
      expect(policies.audit).toEqual([]);
      expect(policies.active).toBe(1);
    });

    it('records nothing for a document equal to the active policy', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      const result = await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 1,
        document: doc(defaultPolicy),
        reason: 'r',
      });
      expect(result).toEqual({ outcome: 'unchanged', version: 1 });
      expect(policies.audit).toEqual([]);
    });

    it('refuses an invalid document naming the field at fault', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      const bad = { ...doc(defaultPolicy), levels: { ...defaultPolicy.levels, high: { stepUpAt: 'soon' } } };
      const refused = changePolicy(deps, { actor: ADMIN, expectedVersion: 1, document: bad, reason: 'r' });
      await expect(refused).rejects.toBeInstanceOf(WorkflowError);
      await expect(refused).rejects.toMatchObject({ code: 'invalid_policy', message: /^policy\.levels\.high/ });
      expect(policies.audit).toEqual([]);
    });

    it('holds any change for a second person while the policy in force asks for approval', async () => {
      const policies = new InMemoryPolicies(withApproval(defaultPolicy, true));
      const { deps, replays } = policyDeps(policies);
      const result = await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 1,
        document: doc(withApproval(tighter(defaultPolicy), true)),
        reason: 'r',
      });
      expect(result).toMatchObject({ outcome: 'pending_approval', version: 2, because: ['policy'], weakening: [] });
      expect(policies.active).toBe(1);
      expect(policies.pending.get(2)).toMatchObject({ status: 'pending', proposedBySubject: 'sub-admin' });
      expect(policies.audit.map((e) => [e.kind, e.outcome])).toEqual([['policy.proposed', 'pending_approval']]);
      expect(replays()).toBe(0); // nothing weakens: no backtest
    });

    it('holds a change that switches approval off by the approval it switches off, and as a weakening', async () => {
      const policies = new InMemoryPolicies(withApproval(defaultPolicy, true));
      const { deps } = policyDeps(policies);
      const result = await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 1,
        document: doc(withApproval(defaultPolicy, false)),
        reason: 'too slow',
      });
      expect(result).toMatchObject({
        outcome: 'pending_approval',
        because: ['policy', 'weakening'],
        weakening: [{ path: 'approval.required', kind: 'approval_off' }],
      });
      expect(policies.active).toBe(1);
    });

    it('holds a weakening change for a second person even with approval off, with its edits and backtest', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps, replays } = policyDeps(policies);
      const result = await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 1,
        document: doc(looser(defaultPolicy)),
        reason: 'too much friction',
      });
      expect(result).toMatchObject({
        outcome: 'pending_approval',
        because: ['weakening'],
        weakening: [{ path: 'levels.high.stepUpAt', kind: 'threshold_raised', before: 25, after: 35 }],
        backtest: { compared: 0, truncated: false },
      });
      expect(replays()).toBeGreaterThan(0);
      expect(policies.active).toBe(1);
      expect(policies.audit[0]).toMatchObject({ kind: 'policy.proposed', data: { weakeningCount: 1 } });
    });

    it('refuses a second proposal for a version already awaiting approval', async () => {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      const propose = () =>
        changePolicy(deps, { actor: ADMIN, expectedVersion: 1, document: doc(looser(defaultPolicy)), reason: 'r' });
      await propose();
      await expect(propose()).rejects.toBeInstanceOf(ConflictError);
      expect(policies.audit).toHaveLength(1);
    });
  });

  describe('approve and reject', () => {
    async function proposed() {
      const policies = new InMemoryPolicies(defaultPolicy);
      const { deps } = policyDeps(policies);
      await changePolicy(deps, { actor: ADMIN, expectedVersion: 1, document: doc(looser(defaultPolicy)), reason: 'r' });
      policies.audit.length = 0;
      return { policies, deps };
    }

    it('refuses self-approval, by subject whatever the display name, and changes nothing', async () => {
      const { policies, deps } = await proposed();
      for (const actor of [ADMIN, NAMESAKE]) {
        await expect(approveChange(deps, { actor, version: 2 })).rejects.toBeInstanceOf(RefusedError);
      }
      expect(policies.active).toBe(1);
      expect(policies.pending.get(2)?.status).toBe('pending');
      expect(policies.audit).toEqual([]);
    });

    it('applies the change approved by a second person, audited as policy.approved then policy.changed', async () => {
      const { policies, deps } = await proposed();
      expect(await approveChange(deps, { actor: SECOND, version: 2, note: 'ok' })).toEqual({ version: 2 });
      expect(policies.active).toBe(2);
      expect(policies.versions.get(2)).toMatchObject({
        updatedBy: 'admin@example.com',
        approvedBy: 'second@example.com',
      });
      expect(policies.audit.map((e) => [e.kind, e.outcome, e.actor.id])).toEqual([
        ['policy.approved', 'approved', 'sub-second'],
        ['policy.changed', 'applied', 'sub-second'],
      ]);
      expect(policies.audit[0]).toMatchObject({ data: { proposedBy: 'admin@example.com', approvalNote: 'ok' } });
      // Decided: no second approval, no late rejection.
      await expect(approveChange(deps, { actor: SECOND, version: 2 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(rejectChange(deps, { actor: SECOND, version: 2 })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('audits a rejection as policy.rejected (never as an approval) and leaves the active policy alone', async () => {
      const { policies, deps } = await proposed();
      expect(await rejectChange(deps, { actor: SECOND, version: 2, note: 'no' })).toEqual({ version: 2 });
      expect(policies.active).toBe(1);
      expect(policies.pending.get(2)?.status).toBe('rejected');
      expect(policies.audit).toHaveLength(1);
      expect(policies.audit[0]).toMatchObject({
        kind: 'policy.rejected',
        outcome: 'rejected',
        why: 'no',
        actor: { id: 'sub-second' },
        policyVersion: 2,
      });
      await expect(approveChange(deps, { actor: SECOND, version: 2 })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lets the proposer withdraw their own change: rejecting needs no second person', async () => {
      const { policies, deps } = await proposed();
      await rejectChange(deps, { actor: ADMIN, version: 2 });
      expect(policies.audit.map((e) => e.kind)).toEqual(['policy.rejected']);
    });

    it('refuses to approve a change whose base is no longer the active version', async () => {
      const { policies, deps } = await proposed();
      // Another writer moved the active policy meanwhile.
      await policies.apply(
        {
          expectedVersion: 1,
          policy: { ...tighter(defaultPolicy), version: 2 },
          updatedAt: '',
          updatedBy: 'x',
          reason: 'x',
        },
        [],
      );
      const approving = approveChange(deps, { actor: SECOND, version: 2 });
      await expect(approving).rejects.toBeInstanceOf(ConflictError);
      await expect(approving).rejects.toMatchObject({ details: { field: 'version' } });
      expect(policies.audit).toEqual([]);
    });

    it('diffs a change proposed while the table held no policy against the built-in default', async () => {
      const policies = new InMemoryPolicies();
      const { deps } = policyDeps(policies);
      await changePolicy(deps, {
        actor: ADMIN,
        expectedVersion: 0,
        document: doc(looser(fallbackPolicy.policy)),
        reason: 'r',
      });
      await approveChange(deps, { actor: SECOND, version: 1 });
      expect(policies.active).toBe(1);
      expect(policies.audit.at(-1)).toMatchObject({
        kind: 'policy.changed',
        before: { version: 0 },
        data: { changes: [{ path: 'levels.high.stepUpAt' }] },
      });
    });
  });
});
