import { DynamoDbDecisionStore } from '../../lambdas/adapters/dynamodb/dynamodb-decision-store';
import type { TableNames } from '../../lambdas/contracts/tables';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { evaluate } from '../../lambdas/core/risk/engine';
import { emptyProfile, learn } from '../../lambdas/core/risk/learning';
import type { RequestFeatures } from '../../lambdas/core/risk/types';
import type { DecisionWrite, StoredStepUp } from '../../lambdas/ports/decision-store';
import { createTestTables, testDynamoClient } from '../support/dynamodb';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const FEATURES: RequestFeatures = {
  ip: '198.51.100.20',
  deviceId: 'd-1',
  geo: { kind: 'public', country: 'NO' },
  device: { deviceType: 'desktop', isBot: false, isHeadless: false, isCli: false },
};

/**
 * What the decision's transaction reports when it loses a race, decoded by entry name from DynamoDB's own
 * cancellation: the workflow retries on these and throws on anything else.
 */
describe('the decision store commit on DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let store: DynamoDbDecisionStore;
  let ids = 0;
  beforeAll(async () => {
    tables = await createTestTables(client, 'commit');
    store = new DynamoDbDecisionStore(client, tables, { globalKeys: () => ({}) });
  });
  afterAll(() => client.destroy());

  function write(userId: string, over: Partial<DecisionWrite> = {}): DecisionWrite {
    const decisionId = `dec-${++ids}`;
    const evaluation = evaluate({
      userId,
      action: 'profile.view',
      now: NOW,
      features: FEATURES,
      velocity: { userRequests: 0, ipRequests: 0, ipDistinctUsers: 0, userFailedStepUps: 0, userFailedSignIns: 0 },
      global: { total: 0, ip: 0, prefix: 0, asn: 0, country: 0, ua: 0, browser: 0, os: 0, deviceType: 0 },
      policy: defaultPolicy,
    });
    return {
      record: {
        decisionId,
        userId,
        action: 'profile.view',
        at: NOW,
        clientId: 'local-app',
        features: FEATURES,
        evaluation,
        policyVersion: 1,
      },
      response: { decisionId, decision: evaluation.decision },
      retentionDays: 90,
      receivedAt: NOW,
      ...over,
    };
  }

  const profile = (revision: number) => ({
    next: learn(emptyProfile(NOW), FEATURES, NOW, 'trusted'),
    expectedRevision: revision,
    learned: false,
  });

  it('writes a profile under its revision once; a writer holding the old revision gets profile_changed', async () => {
    expect(await store.commit(write('lock@example.com', { profile: profile(0) }))).toBe('written');
    expect(await store.commit(write('lock@example.com', { profile: profile(0) }))).toBe('profile_changed');
    expect(await store.commit(write('lock@example.com', { profile: profile(1) }))).toBe('written');
    const loaded = await store.load({
      userId: 'lock@example.com',
      features: FEATURES,
      velocityKeys: { ip: 'h.ip.x' },
      includePolicy: false,
      now: NOW,
    });
    expect(loaded.profileRevision).toBe(2);
  });

  it('reports a request id already taken as duplicate_request, before a profile that moved too', async () => {
    const first = write('dup@example.com', { idempotencyKey: 'local-app#r-1', bodyHash: 'h' });
    expect(await store.commit(first)).toBe('written');
    await store.commit(write('dup@example.com', { profile: profile(0) }));
    const again = write('dup@example.com', { idempotencyKey: 'local-app#r-1', bodyHash: 'h', profile: profile(0) });
    expect(await store.commit(again)).toBe('duplicate_request');
  });

  it('consumes a single-use grant once: the second decision that tries gets grant_already_used', async () => {
    const stepUp: StoredStepUp = {
      stepUpId: 'su-once',
      userId: 'grant@example.com',
      action: 'mfa.change',
      decisionId: 'dec-asking',
      acr: defaultPolicy.levels.critical.acr,
      methods: ['totp'],
      maxAgeSeconds: 0,
      status: 'pending',
      createdAt: NOW,
      expiresAt: NOW + 600_000,
      consumed: false,
      features: FEATURES,
      revision: 0,
    };
    expect(await store.commit(write('grant@example.com', { newStepUp: stepUp }))).toBe('written');
    const consume = { stepUpId: 'su-once', expectedRevision: 0 };
    expect(await store.commit(write('grant@example.com', { consumeGrant: consume }))).toBe('written');
    expect(await store.commit(write('grant@example.com', { consumeGrant: consume }))).toBe('grant_already_used');
  });

  it('throws a failure that is no lost race', async () => {
    const broken = new DynamoDbDecisionStore(client, { ...tables, risk: 'no-such-table' }, { globalKeys: () => ({}) });
    await expect(broken.commit(write('broken@example.com'))).rejects.toThrow();
  });
});
