import {
  DecideWorkflow,
  GRANT_TRIES,
  MAX_DECISION_TRIES,
  type DecideResult,
} from '../../../lambdas/application/decide/decide-workflow';
import type { DecisionRequest } from '../../../lambdas/application/decide/decision-request';
import { PendingStepUps } from '../../../lambdas/application/decide/pending-step-ups';
import { PolicyCache } from '../../../lambdas/application/decide/policy-cache';
import { ClientScopedIdempotency } from '../../../lambdas/application/decide/request-idempotency';
import { UnknownActionError } from '../../../lambdas/core/errors';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { parseIp } from '../../../lambdas/core/net/ip';
import type { Decision, VelocityCounts } from '../../../lambdas/core/risk/types';
import type {
  DecisionReadRequest,
  DecisionState,
  DecisionStore,
  DecisionWrite,
  DecisionWriteResult,
  StoredStepUp,
} from '../../../lambdas/ports/decision-store';
import type { PolicyRecord } from '../../../lambdas/ports/policy-store';
import { HOME, NOW, ZERO_GLOBAL, ZERO_VELOCITY, codes, trustedProfile } from '../core/fixtures';

const ACTIVE: PolicyRecord = { version: 7, policy: defaultPolicy, updatedAt: '', updatedBy: 'test' };
const FALLBACK: PolicyRecord = { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' };

/**
 * The decision store as the workflow sees it, in memory: a profile under an optimistic lock, request ids that
 * replay their first answer, presented step-ups. `script` makes the next commits report a lost race (the write then
 * changes nothing, as a cancelled transaction would); `failLoad` / `failCommit` make the store unreachable.
 */
class InMemoryDecisionStore implements DecisionStore {
  profile = trustedProfile();
  profileRevision = 3;
  readonly stepUps = new Map<string, StoredStepUp>();
  readonly answers = new Map<string, { decisionId: string; response: unknown; bodyHash: string }>();
  readonly reads: DecisionReadRequest[] = [];
  readonly writes: DecisionWrite[] = [];
  script: DecisionWriteResult[] = [];
  /** The velocity each read reports, in turn (the last one repeats). */
  velocity: VelocityCounts[] = [ZERO_VELOCITY];
  policy: PolicyRecord = ACTIVE;
  failLoad: Error | undefined;
  failCommit: Error | undefined;

  load(request: DecisionReadRequest): Promise<DecisionState> {
    this.reads.push(request);
    if (this.failLoad) return Promise.reject(this.failLoad);
    const velocity = this.velocity[Math.min(this.reads.length - 1, this.velocity.length - 1)] ?? ZERO_VELOCITY;
    const stepUp = request.stepUpId ? this.stepUps.get(request.stepUpId) : undefined;
    const replay = request.idempotencyKey ? this.answers.get(request.idempotencyKey) : undefined;
    return Promise.resolve({
      profile: this.profile,
      profileRevision: this.profileRevision,
      velocity,
      global: ZERO_GLOBAL,
      ...(stepUp ? { stepUp } : {}),
      ...(replay ? { replay } : {}),
      ...(request.includePolicy ? { policy: this.policy } : {}),
    });
  }

  commit(write: DecisionWrite): Promise<DecisionWriteResult> {
    this.writes.push(write);
    if (this.failCommit) return Promise.reject(this.failCommit);
    const scripted = this.script.shift();
    if (scripted && scripted !== 'written') return Promise.resolve(scripted);
    if (write.profile && write.profile.expectedRevision !== this.profileRevision) {
      return Promise.resolve('profile_changed');
    }
    if (write.idempotencyKey) {
      this.answers.set(write.idempotencyKey, {
        decisionId: write.record.decisionId,
        response: write.response,
        bodyHash: write.bodyHash ?? '',
      });
    }
    if (write.profile) {
      this.profile = write.profile.next;
      this.profileRevision += 1;
    }
    if (write.consumeGrant) {
      const grant = this.stepUps.get(write.consumeGrant.stepUpId);
      if (grant) this.stepUps.set(grant.stepUpId, { ...grant, consumed: true, revision: grant.revision + 1 });
    }
    return Promise.resolve('written');
  }
}

function request(over: Partial<DecisionRequest> = {}): DecisionRequest {
  return {
    userId: 'alice@example.com',
    action: 'payment.transfer',
    clientId: 'local-app',
    receivedAt: NOW,
    at: NOW,
    features: HOME,
    address: parseIp(HOME.ip)!,
    identity: {
      velocityKeys: { ip: 'h.ip.home' },
      pseudonymous: { ...HOME, ip: 'h.ip.home', deviceId: 'h.dev.home' },
      pseudonym: (kind, key) => `h.${kind}.${key}`,
    },
    bodyDigest: 'digest-1',
    ...over,
  };
}

function setUp(store = new InMemoryDecisionStore()) {
  let ids = 0;
  const decisions: [Decision, boolean][] = [];
  const errors: Record<string, unknown>[] = [];
  const newId = () => `id-${++ids}`;
  const workflow = new DecideWorkflow({
    store,
    policies: new PolicyCache(),
    fallbackPolicy: FALLBACK,
    idempotency: new ClientScopedIdempotency(),
    newId,
    stepUps: new PendingStepUps(newId),
    onDecision: (decision, failedClosed) => decisions.push([decision, failedClosed]),
    logError: (summary) => errors.push(summary),
  });
  return { store, workflow, decisions, errors };
}

function responseOf(result: DecideResult) {
  if (result.kind !== 'decided' && result.kind !== 'failed_closed') throw new Error(`unexpected ${result.kind}`);
  return result.response;
}

/** A step-up of mfa.change that alice passed a minute ago; the critical level's grants are good for one decision. */
function grantedStepUp(): StoredStepUp {
  return {
    stepUpId: 'su-granted',
    userId: 'alice@example.com',
    action: 'mfa.change',
    decisionId: 'earlier',
    acr: defaultPolicy.levels.critical.acr,
    methods: ['totp'],
    maxAgeSeconds: 0,
    status: 'granted',
    createdAt: NOW - 120_000,
    expiresAt: NOW + 480_000,
    grantedAt: NOW - 60_000,
    consumed: false,
    features: HOME,
    revision: 1,
  };
}

describe('the decision workflow', () => {
  it('decides on one read and records the decision in one write', async () => {
    const { store, workflow, decisions } = setUp();
    const result = await workflow.decide(request());

    expect(result.kind).toBe('decided');
    const response = responseOf(result);
    expect(response).toMatchObject({ decision: 'allow', policyVersion: ACTIVE.version });
    expect(store.reads).toHaveLength(1);
    expect(store.reads[0]).toMatchObject({ count: true, includePolicy: true, now: NOW });
    expect(store.writes).toHaveLength(1);
    const write = store.writes[0]!;
    expect(write.record).toMatchObject({ decisionId: response.decisionId, userId: 'alice@example.com' });
    expect(write.response).toBe(response);
    // A familiar context at a low score teaches the profile, under the revision it was read at.
    expect(write.profile).toMatchObject({ expectedRevision: 3, learned: true });
    expect(decisions).toEqual([['allow', false]]);
  });

  it('reads the policy with the decision only when its cache is stale', async () => {
    const { store, workflow } = setUp();
    await workflow.decide(request());
    await workflow.decide(request({ receivedAt: NOW + 1000, at: NOW + 1000 }));
    expect(store.reads.map((r) => r.includePolicy)).toEqual([true, false]);
  });

  it('gives a step_up decision a pending step-up, stored with the record', async () => {
    const { store, workflow } = setUp();
    store.profile = trustedProfile(20, { ...HOME, deviceId: 'another-device' });
    const response = responseOf(await workflow.decide(request()));

    expect(response.decision).toBe('step_up');
    expect(response.stepUp?.id).toBeDefined();
    expect(response.wwwAuthenticate).toContain('insufficient_user_authentication');
    const write = store.writes[0]!;
    expect(write.newStepUp).toMatchObject({
      stepUpId: response.stepUp?.id,
      status: 'pending',
      action: 'payment.transfer',
    });
    expect(write.record.stepUpId).toBe(response.stepUp?.id);
  });

  it.each(['profile.view', 'auth.sign_in', 'payment.transfer', 'admin.production_access'])(
    'ends in decision.unrecorded, never allow, when the profile keeps changing under %s',
    async (action) => {
      const { store, workflow, decisions, errors } = setUp();
      store.script = Array<DecisionWriteResult>(MAX_DECISION_TRIES).fill('profile_changed');
      const result = await workflow.decide(request({ action }));

      expect(result).toMatchObject({ kind: 'failed_closed', cause: 'unrecorded' });
      const response = responseOf(result);
      expect(codes(response.reasons)).toContain('decision.unrecorded');
      expect(response.decision).not.toBe('allow');
      expect(store.writes).toHaveLength(MAX_DECISION_TRIES);
      expect(store.reads).toHaveLength(MAX_DECISION_TRIES);
      expect(decisions).toEqual([[response.decision, true]]);
      expect(errors).toEqual([expect.objectContaining({ event: 'decision_failed_closed' })]);
    },
  );

  it('records the decision when the last allowed try wins the race', async () => {
    const { store, workflow } = setUp();
    store.script = Array<DecisionWriteResult>(MAX_DECISION_TRIES - 1).fill('profile_changed');
    const result = await workflow.decide(request());

    expect(result.kind).toBe('decided');
    expect(store.writes).toHaveLength(MAX_DECISION_TRIES);
    // Each try decides anew: a new decision id per try, the last one answered.
    const ids = new Set(store.writes.map((w) => w.record.decisionId));
    expect(ids.size).toBe(MAX_DECISION_TRIES);
    expect(responseOf(result).decisionId).toBe(store.writes.at(-1)!.record.decisionId);
  });

  it('counts a request in the velocity windows once, and decides its retries on those counts', async () => {
    const { store, workflow } = setUp();
    const burst = { ...ZERO_VELOCITY, userRequests: 50 };
    // The retry's read would see this very request's increment and others': it must not count again.
    store.velocity = [burst, ZERO_VELOCITY];
    store.script = ['profile_changed'];
    const result = await workflow.decide(request());

    expect(store.reads.map((r) => r.count)).toEqual([true, false]);
    expect(codes(responseOf(result).reasons)).toContain('velocity.user_burst');
    expect(store.writes[1]!.record.replay?.velocity).toEqual(burst);
  });

  it('stops presenting a contested grant after GRANT_TRIES, so the decision can still be recorded', async () => {
    const { store, workflow } = setUp();
    store.stepUps.set('su-granted', grantedStepUp());
    store.script = Array<DecisionWriteResult>(GRANT_TRIES).fill('grant_already_used');
    const result = await workflow.decide(request({ action: 'mfa.change', stepUpId: 'su-granted' }));

    const redeeming = store.writes.slice(0, GRANT_TRIES);
    for (const write of redeeming) {
      expect(write.consumeGrant).toEqual({ stepUpId: 'su-granted', expectedRevision: 1 });
      expect(write.record.evaluation.decision).toBe('allow');
    }
    const last = store.writes[GRANT_TRIES]!;
    expect(last.consumeGrant).toBeUndefined();
    expect(last.record.redeemedStepUpId).toBeUndefined();
    // Without the grant the critical action asks for a step-up again: more friction, never less.
    expect(result.kind).toBe('decided');
    expect(responseOf(result).decision).toBe('step_up');
  });

  it('consumes a single-use grant with the decision that redeems it', async () => {
    const { store, workflow } = setUp();
    store.stepUps.set('su-granted', grantedStepUp());
    const first = responseOf(await workflow.decide(request({ action: 'mfa.change', stepUpId: 'su-granted' })));
    const second = responseOf(await workflow.decide(request({ action: 'mfa.change', stepUpId: 'su-granted' })));

    expect(first.decision).toBe('allow');
    expect(codes(first.reasons)).toContain('step_up.satisfied');
    expect(store.writes[0]!.record.redeemedStepUpId).toBe('su-granted');
    expect(second.decision).toBe('step_up');
  });

  describe('request ids', () => {
    it('replays the first answer to a retry of the same request, writing nothing', async () => {
      const { store, workflow } = setUp();
      const first = await workflow.decide(request({ requestId: 'r-1' }));
      const again = await workflow.decide(request({ requestId: 'r-1' }));

      expect(again).toEqual({ kind: 'replayed', response: responseOf(first) });
      expect(store.writes).toHaveLength(1);
      expect(store.writes[0]).toMatchObject({ idempotencyKey: 'local-app#r-1', bodyHash: 'digest-1' });
    });

    it('refuses a request id reused for a different request', async () => {
      const { store, workflow } = setUp();
      await workflow.decide(request({ requestId: 'r-1' }));
      const reused = await workflow.decide(request({ requestId: 'r-1', bodyDigest: 'digest-2' }));

      expect(reused).toEqual({ kind: 'request_id_reused' });
      expect(store.writes).toHaveLength(1);
    });

    it("never replays another app's answer under the same request id", async () => {
      const { store, workflow } = setUp();
      await workflow.decide(request({ requestId: 'r-1' }));
      const other = await workflow.decide(request({ requestId: 'r-1', clientId: 'other-app' }));

      expect(other.kind).toBe('decided');
      expect(store.writes.map((w) => w.idempotencyKey)).toEqual(['local-app#r-1', 'other-app#r-1']);
    });

    it('replays the answer of a concurrent request that took the same id first', async () => {
      const { store, workflow } = setUp();
      const concurrent = { decisionId: 'theirs', response: { decision: 'allow', decisionId: 'theirs' } };
      store.script = ['duplicate_request'];
      const commit = store.commit.bind(store);
      store.commit = (write) => {
        if (store.writes.length === 0) store.answers.set('local-app#r-1', { ...concurrent, bodyHash: 'digest-1' });
        return commit(write);
      };
      const result = await workflow.decide(request({ requestId: 'r-1' }));

      expect(result).toEqual({ kind: 'replayed', response: concurrent.response });
      expect(store.writes).toHaveLength(1);
    });
  });

  describe('failing closed', () => {
    it.each<[string, Decision]>([
      ['profile.view', 'allow'],
      ['profile.update', 'step_up'],
      ['payment.transfer', 'step_up'],
      ['admin.production_access', 'deny'],
    ])('answers %s with the failMode of its level (%s) when the store cannot be read', async (action, expected) => {
      const { store, workflow, decisions } = setUp();
      store.failLoad = new Error('connect ECONNREFUSED');
      const result = await workflow.decide(request({ action }));

      expect(result).toMatchObject({ kind: 'failed_closed', cause: 'store_unavailable' });
      const response = responseOf(result);
      expect(response.decision).toBe(expected);
      expect(codes(response.reasons)).toContain('store.unavailable');
      // Nothing was read, so the built-in policy answers.
      expect(response.policyVersion).toBe(FALLBACK.version);
      expect(store.writes).toHaveLength(0);
      expect(decisions).toEqual([[expected, true]]);
    });

    it('answers from the policy it read when the write fails, and does not try again', async () => {
      const { store, workflow } = setUp();
      store.failCommit = new Error('ProvisionedThroughputExceededException');
      const result = await workflow.decide(request());

      expect(result).toMatchObject({ kind: 'failed_closed', cause: 'store_unavailable' });
      const response = responseOf(result);
      expect(response).toMatchObject({ decision: 'step_up', policyVersion: ACTIVE.version });
      expect(response.wwwAuthenticate).toContain('insufficient_user_authentication');
      expect(store.writes).toHaveLength(1);
    });

    it('uses the last policy it knew during an outage', async () => {
      const { store, workflow } = setUp();
      await workflow.decide(request());
      store.failLoad = new Error('connect ECONNREFUSED');
      const result = await workflow.decide(request({ receivedAt: NOW + 3_600_000, at: NOW + 3_600_000 }));
      expect(responseOf(result).policyVersion).toBe(ACTIVE.version);
    });

    it('refuses an action the policy does not know, whether or not the store answers', async () => {
      const { store, workflow } = setUp();
      await expect(workflow.decide(request({ action: 'no.such_action' }))).rejects.toThrow(UnknownActionError);
      store.failLoad = new Error('connect ECONNREFUSED');
      await expect(workflow.decide(request({ action: 'no.such_action' }))).rejects.toThrow(UnknownActionError);
      expect(store.writes).toHaveLength(0);
    });
  });
});
