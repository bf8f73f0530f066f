import type { Context } from 'aws-lambda';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { DynamoDbPolicyStore } from '../../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { composeAdmin } from '../../../lambdas/composition/admin';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { ACTION_FLOORS } from '../../../lambdas/core/policy/guardrails';
import { SENSITIVITY_LEVELS, type Policy } from '../../../lambdas/core/policy/policy-schema';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import { httpEvent, recordTraffic, writeRecords } from './recorded-traffic';

const START = Date.parse('2026-11-29T10:00:00.000Z');
const ADMIN = { sub: 'sub-admin', username: 'admin@example.com', 'cognito:groups': ['risk-admins'] };
const ADMIN2 = { sub: 'sub-admin-2', username: 'second@example.com', 'cognito:groups': ['risk-admins'] };
const AUDITOR = { sub: 'sub-auditor', username: 'auditor@example.com', 'cognito:groups': ['risk-auditors'] };
const BACKTEST_BOUND = 250;

type Claims = Record<string, string | string[]>;

/** What one admin would set to make every decision an allow: the Internet allow-listed, nothing scores, no step-up. */
function allowEverything(): Policy {
  const p = structuredClone(defaultPolicy);
  p.lists.allow = ['0.0.0.0/0', '::/0'];
  for (const level of SENSITIVITY_LEVELS) Object.assign(p.levels[level], { stepUpAt: 101, denyAt: 101 });
  for (const name of Object.keys(p.actions)) p.actions[name] = { level: 'none' };
  for (const group of ['device', 'geo'] as const) {
    const w = p.weights[group] as Record<string, number>;
    for (const k of Object.keys(w)) w[k] = 0;
  }
  return p;
}

/** As close to "allow everything" as the guardrails let anyone get: valid, but every edit weakens. */
function asLaxAsAllowed(): Policy {
  const p = structuredClone(defaultPolicy);
  p.lists.allow = ['100.0.0.0/16', '2001:db8::/32'];
  for (const level of ['none', 'low', 'medium', 'high'] as const) {
    Object.assign(p.levels[level], { stepUpAt: 101, denyAt: 101 });
  }
  p.levels.critical.denyAt = 101;
  for (const name of Object.keys(p.actions)) p.actions[name] = { level: ACTION_FLOORS[name] ?? 'none' };
  for (const group of ['device', 'geo'] as const) {
    const w = p.weights[group] as Record<string, number>;
    for (const k of Object.keys(w)) w[k] = 0;
  }
  p.weights.newUser.points = 0;
  return p;
}

describe('policy guardrails through the admin API (DynamoDB Local)', () => {
  const dynamo = testDynamoClient();
  let tables: TableNames;
  let clock = START;
  let call: (
    claims: Claims,
    routeKey: string,
    options?: Parameters<typeof httpEvent>[2],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ) => Promise<{ status: number; body: any }>;
  const put = (claims: Claims, version: number, policy: unknown, reason = 'tuning') =>
    call(claims, 'PUT /v1/admin/policy', { body: { policy, reason }, headers: { 'if-match': `"${version}"` } });
  const active = async () => (await call(AUDITOR, 'GET /v1/admin/policy')).body as { version: number; policy: Policy };

  beforeAll(async () => {
    tables = await createTestTables(dynamo, 'guardrails');
    const seed = { version: 1, policy: defaultPolicy, updatedAt: new Date(START).toISOString(), updatedBy: 'seed' };
    await new DynamoDbPolicyStore(dynamo, tables.policy).seedIfEmpty(seed);
    // Recorded decisions for the backtest: more than its bound, so the summary says it stopped there.
    const recorded = await recordTraffic({ count: 300, users: 12, seed: 11, start: START, policy: seed });
    await writeRecords(dynamo, tables.risk, recorded);
    clock = recorded.end + 60_000;
    const audit = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, now: () => clock, writer: 'test' });
    const { handler } = composeAdmin({
      dynamo,
      tables,
      clock: () => clock,
      audit,
      backtestMaxEvents: BACKTEST_BOUND,
    });
    call = async (claims, routeKey, options = {}) => {
      clock += 1000;
      const res = await handler(httpEvent(routeKey, claims, options), {} as Context);
      return { status: res.statusCode ?? 0, body: JSON.parse(String(res.body)) };
    };
  }, 120_000);
  afterAll(() => dynamo.destroy());

  it('refuses the "allow everything" policy with 400 naming every guardrail it breaks', async () => {
    const res = await put(ADMIN, 1, allowEverything());
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_policy');
    const paths = (res.body.error.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'policy.levels.critical.stepUpAt',
        'policy.actions.mfa.change.level',
        'policy.actions.credentials.change.level',
        'policy.actions.admin.production_access.level',
        'policy.lists.allow.0',
        'policy.lists.allow.1',
      ]),
    );
    expect((await active()).version).toBe(1);
  });

  it('holds the laxest valid policy for a second person, even with approval off, and shows what weakened', async () => {
    expect(defaultPolicy.approval.required).toBe(false);
    const proposed = await put(ADMIN, 1, asLaxAsAllowed(), 'fewer prompts');
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({
      version: 2,
      status: 'pending_approval',
      approvalRequiredBecause: ['weakening'],
    });
    const kinds = new Map((proposed.body.weakening as { path: string; kind: string }[]).map((w) => [w.path, w.kind]));
    expect(
      Object.fromEntries(
        ['levels.high.stepUpAt', 'actions.profile.update.level', 'weights.device.bot', 'lists.allow.0'].map((p) => [
          p,
          kinds.get(p),
        ]),
      ),
    ).toEqual({
      'levels.high.stepUpAt': 'threshold_raised',
      'actions.profile.update.level': 'action_lowered',
      'weights.device.bot': 'weight_cut',
      'lists.allow.0': 'allow_list_broadened',
    });
    // The backtest replayed recent recorded decisions (up to its bound) under both policies.
    const backtest = proposed.body.backtest;
    expect(backtest).toMatchObject({ compared: BACKTEST_BOUND, truncated: true });
    expect(backtest.towardAllow).toBeGreaterThan(0);
    const payments = (backtest.byAction as { action: string; towardAllow: number; stepUpToAllow: number }[]).find(
      (a) => a.action === 'payment.transfer',
    );
    expect(payments?.towardAllow).toBeGreaterThan(0);
    expect(payments?.stepUpToAllow).toBeGreaterThan(0);
    expect((await active()).version).toBe(1);

    // The approval request shows the same to the reviewer.
    const pending = await call(AUDITOR, 'GET /v1/admin/policy/pending');
    expect(pending.body.pending).toEqual([
      expect.objectContaining({
        version: 2,
        proposedBy: 'admin@example.com',
        weakening: proposed.body.weakening,
        backtest,
      }),
    ]);
  });

  it('does not let the proposer approve it; a second admin can', async () => {
    const approve = (claims: Claims) =>
      call(claims, 'POST /v1/admin/policy/pending/{version}/approve', { pathParameters: { version: '2' }, body: {} });
    const self = await approve(ADMIN);
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('second person');
    expect((await approve(AUDITOR)).status).toBe(403);
    expect((await active()).version).toBe(1);
    const second = await approve(ADMIN2);
    expect(second.status).toBe(200);
    const now = await active();
    expect(now.version).toBe(2);
    expect(now.policy.levels.high.stepUpAt).toBe(101);
  });

  it('applies a change that only strengthens at once, with one admin', async () => {
    const stricter = structuredClone((await active()).policy);
    stricter.levels.high.stepUpAt = 40;
    stricter.lists.allow = [];
    const res = await put(ADMIN, 2, stricter, 'back to sane');
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(3);
  });

  it('records why approval was needed, the weakening and the backtest in the audit trail', async () => {
    const trail = await new DynamoDbAuditReader({
      client: dynamo,
      tableName: tables.audit,
      now: () => clock,
    }).exportRecords({
      from: START,
      to: clock + 1000,
    });
    const proposal = trail.records.find((r) => r.event.kind === 'policy.proposed');
    expect(proposal?.intact).toBe(true);
    expect(proposal?.event.data).toMatchObject({
      approvalRequiredBecause: ['weakening'],
      weakeningCount: expect.any(Number),
      backtest: expect.objectContaining({ compared: BACKTEST_BOUND, truncated: true }),
    });
    const approved = trail.records.find((r) => r.event.kind === 'policy.approved');
    expect(approved?.event.data).toMatchObject({
      weakening: expect.arrayContaining([expect.objectContaining({ path: 'levels.high.stepUpAt' })]),
    });
  });
});
