import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { decisionItem } from '../../../lambdas/adapters/dynamodb/items/decision';
import { DynamoDbPolicyStore } from '../../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { composeAdmin } from '../../../lambdas/composition/admin';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import { httpEvent, recordTraffic } from './recorded-traffic';

const START = Date.parse('2026-11-29T10:00:00.000Z');
const ADMIN = { sub: 'sub-admin', username: 'admin@example.com', 'cognito:groups': ['risk-admins'] };
const ADMIN2 = { sub: 'sub-admin-2', username: 'second@example.com', 'cognito:groups': ['risk-admins'] };
const AUDITOR = { sub: 'sub-auditor', username: 'auditor@example.com', 'cognito:groups': ['risk-auditors'] };
const ALICE = { sub: 'sub-alice', username: 'alice@example.com' };

type Claims = Record<string, string | string[]>;

describe('admin API (in process, DynamoDB Local)', () => {
  const dynamo = testDynamoClient();
  let tables: TableNames;
  let clock = START;
  let call: (
    claims: Claims,
    routeKey: string,
    options?: Parameters<typeof httpEvent>[2],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>;

  beforeAll(async () => {
    tables = await createTestTables(dynamo, 'admin');
    await new DynamoDbPolicyStore(dynamo, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: new Date(START).toISOString(),
      updatedBy: 'seed',
    });
    const audit = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, now: () => clock, writer: 'test' });
    const { handler } = composeAdmin({ dynamo, tables, clock: () => clock, audit });
    call = async (claims, routeKey, options = {}) => {
      clock += 1000;
      const res = await handler(httpEvent(routeKey, claims, options), {} as Context);
      return { status: res.statusCode ?? 0, body: JSON.parse(String(res.body)), headers: res.headers ?? {} };
    };
  });
  afterAll(() => dynamo.destroy());

  const put = (claims: Claims, ifMatch: string | undefined, body: unknown) =>
    call(claims, 'PUT /v1/admin/policy', { body, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } });

  const withHigh = (stepUpAt: number) => {
    const p = structuredClone(defaultPolicy);
    p.levels.high.stepUpAt = stepUpAt;
    return p;
  };

  it('lets admins and auditors read the policy, with its version as ETag, and nobody else', async () => {
    const res = await call(AUDITOR, 'GET /v1/admin/policy');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 1, policy: defaultPolicy, updatedBy: 'seed' });
    expect(res.headers.etag).toBe('"1"');
    expect((await call(ADMIN, 'GET /v1/admin/policy')).status).toBe(200);
    expect((await call(ALICE, 'GET /v1/admin/policy')).status).toBe(403);
  });

  it('lets only admins change it', async () => {
    expect((await put(AUDITOR, '1', { policy: withHigh(20), reason: 'x' })).status).toBe(403);
    expect((await put(ALICE, '1', { policy: withHigh(20), reason: 'x' })).status).toBe(403);
  });

  it('needs If-Match and a reason, and names the invalid field', async () => {
    expect((await put(ADMIN, undefined, { policy: withHigh(20), reason: 'x' })).status).toBe(428);
    const noReason = await put(ADMIN, '1', { policy: withHigh(20) });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.field).toBe('reason');
    const invalid = structuredClone(defaultPolicy) as unknown as { levels: { high: { stepUpAt: number } } };
    invalid.levels.high.stepUpAt = 99; // above denyAt, and laxer than medium
    const res = await put(ADMIN, '1', { policy: invalid, reason: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_policy');
    expect(res.body.error.field).toBe('policy.levels.high.stepUpAt');
    expect(res.body.error.message).toContain('policy.levels.high.stepUpAt');
    const unknownKey = await put(ADMIN, '1', { policy: { ...defaultPolicy, bogus: 1 }, reason: 'x' });
    expect(unknownKey.body.error.field).toBe('policy.bogus');
  });

  it('applies a change with the next version, and refuses a stale If-Match with 409', async () => {
    const res = await put(ADMIN, '"1"', { policy: withHigh(20), reason: 'catch more takeovers' });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    expect(res.headers.etag).toBe('"2"');
    const read = await call(ADMIN, 'GET /v1/admin/policy');
    expect(read.body).toMatchObject({ version: 2, updatedBy: 'admin@example.com', reason: 'catch more takeovers' });
    expect(read.body.policy.levels.high.stepUpAt).toBe(20);
    expect(read.body.policy.version).toBe(2);
    const stale = await put(ADMIN, '1', { policy: withHigh(22), reason: 'late edit' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.currentVersion).toBe(2);
  });

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    const results = await Promise.all([
      put(ADMIN, '2', { policy: withHigh(18), reason: 'a' }),
      put(ADMIN2, '2', { policy: withHigh(19), reason: 'b' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await call(ADMIN, 'GET /v1/admin/policy')).body.version).toBe(3);
  });

  it('keeps the history and diffs any two versions', async () => {
    const history = await call(AUDITOR, 'GET /v1/admin/policy/versions');
    expect(history.status).toBe(200);
    expect((history.body.versions as { version: number }[]).map((v) => v.version)).toEqual([3, 2, 1]);
    expect(history.body.versions[1]).toMatchObject({ version: 2, reason: 'catch more takeovers' });
    const page = await call(AUDITOR, 'GET /v1/admin/policy/versions', { query: { limit: '2' } });
    expect(page.body.nextBefore).toBe(2);
    const older = await call(AUDITOR, 'GET /v1/admin/policy/versions', { query: { before: '2' } });
    expect((older.body.versions as { version: number }[]).map((v) => v.version)).toEqual([1]);
    const diff = await call(AUDITOR, 'GET /v1/admin/policy/diff', { query: { from: '1', to: '2' } });
    expect(diff.body.changes).toEqual([
      { path: 'levels.high.stepUpAt', kind: 'changed', before: defaultPolicy.levels.high.stepUpAt, after: 20 },
    ]);
    const v1 = await call(AUDITOR, 'GET /v1/admin/policy/versions/{version}', { pathParameters: { version: '1' } });
    expect(v1.body.policy).toEqual(defaultPolicy);
    expect(
      (await call(AUDITOR, 'GET /v1/admin/policy/versions/{version}', { pathParameters: { version: '99' } })).status,
    ).toBe(404);
  });

  it('requires a second person once the policy asks for approval', async () => {
    const current = (await call(ADMIN, 'GET /v1/admin/policy')).body;
    const strict = { ...current.policy, approval: { required: true } };
    // Turning approval on is itself applied directly: the policy in force did not require it.
    const on = await put(ADMIN, String(current.version), { policy: strict, reason: 'four eyes from now on' });
    expect(on.status).toBe(200);
    const v = on.body.version as number;

    const proposal = { ...strict, levels: { ...strict.levels, high: { ...strict.levels.high, stepUpAt: 15 } } };
    const proposed = await put(ADMIN, String(v), { policy: proposal, reason: 'stricter high' });
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({ version: v + 1, status: 'pending_approval' });
    expect((await call(ADMIN, 'GET /v1/admin/policy')).body.version).toBe(v);
    expect((await put(ADMIN2, String(v), { policy: proposal, reason: 'again' })).status).toBe(409);

    const pending = await call(AUDITOR, 'GET /v1/admin/policy/pending');
    expect(pending.body.pending).toEqual([
      expect.objectContaining({
        version: v + 1,
        baseVersion: v,
        proposedBy: 'admin@example.com',
        changes: [
          { path: 'levels.high.stepUpAt', kind: 'changed', before: current.policy.levels.high.stepUpAt, after: 15 },
        ],
      }),
    ]);
    const approve = (claims: Claims) =>
      call(claims, 'POST /v1/admin/policy/pending/{version}/approve', {
        pathParameters: { version: String(v + 1) },
        body: { note: 'looks right' },
      });
    expect((await approve(ADMIN)).status).toBe(403);
    expect((await approve(AUDITOR)).status).toBe(403);
    const approved = await approve(ADMIN2);
    expect(approved.status).toBe(200);
    expect(approved.body.version).toBe(v + 1);
    const active = (await call(ADMIN, 'GET /v1/admin/policy')).body;
    expect(active.version).toBe(v + 1);
    expect(active.policy.levels.high.stepUpAt).toBe(15);
    const stored = await call(ADMIN, 'GET /v1/admin/policy/versions/{version}', {
      pathParameters: { version: String(v + 1) },
    });
    expect(stored.body).toMatchObject({ updatedBy: 'admin@example.com', approvedBy: 'second@example.com' });
    expect((await approve(ADMIN2)).status).toBe(404);

    // Switching approval off needs the approval it switches off; a rejected proposal changes nothing.
    const off = await put(ADMIN2, String(v + 1), {
      policy: { ...active.policy, approval: { required: false } },
      reason: 'too slow',
    });
    expect(off.status).toBe(202);
    const rejected = await call(ADMIN, 'POST /v1/admin/policy/pending/{version}/reject', {
      pathParameters: { version: String(v + 2) },
      body: { note: 'no' },
    });
    expect(rejected.status).toBe(200);
    expect((await call(ADMIN, 'GET /v1/admin/policy/pending')).body.pending).toEqual([]);
    expect((await call(ADMIN, 'GET /v1/admin/policy')).body.version).toBe(v + 1);
  });

  describe('events and feedback', () => {
    let decisionIds: string[];
    const userId = 'user-1@example.com';

    beforeAll(async () => {
      const recorded = await recordTraffic({
        count: 60,
        users: 3,
        seed: 7,
        start: START,
        policy: { version: 1, policy: defaultPolicy, updatedAt: '', updatedBy: 'seed' },
      });
      const mine = recorded.store.records.filter((r) => r.userId === userId);
      decisionIds = mine.map((r) => r.decisionId);
      await dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [tables.risk]: mine.slice(0, 25).map((r) => ({ PutRequest: { Item: decisionItem(r, 90) } })),
          },
        }),
      );
      decisionIds = decisionIds.slice(0, 25);
      expect(decisionIds.length).toBeGreaterThan(5);
    });

    it('pages through a user history, newest first, with decisions and reasons', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await call(AUDITOR, 'GET /v1/admin/users/{userId}/events', {
          pathParameters: { userId },
          query: { limit: '4', ...(cursor ? { cursor } : {}) },
        });
        expect(res.status).toBe(200);
        for (const e of res.body.events) {
          expect(e).toMatchObject({ userId, decision: expect.any(String), reasons: expect.any(Array) });
          expect(e.context.ip).toEqual(expect.any(String));
          seen.push(e.decisionId);
        }
        cursor = res.body.cursor;
      } while (cursor);
      expect(seen).toEqual([...decisionIds].reverse());
    });

    it('refuses a cursor of another listing', async () => {
      const first = await call(AUDITOR, 'GET /v1/admin/users/{userId}/events', {
        pathParameters: { userId },
        query: { limit: '2' },
      });
      const res = await call(AUDITOR, 'GET /v1/admin/users/{userId}/events', {
        pathParameters: { userId: 'user-2@example.com' },
        query: { cursor: first.body.cursor },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('cursor');
      const junk = await call(AUDITOR, 'GET /v1/admin/users/{userId}/events', {
        pathParameters: { userId },
        query: { cursor: 'not-a-cursor' },
      });
      expect(junk.body.error.field).toBe('cursor');
    });

    it('labels an event fraud or legit, reversibly, for admins only', async () => {
      const id = decisionIds[0]!;
      const label = (claims: Claims, body: unknown) =>
        call(claims, 'POST /v1/admin/events/{decisionId}/feedback', { pathParameters: { decisionId: id }, body });
      expect((await label(AUDITOR, { label: 'fraud' })).status).toBe(403);
      expect((await label(ADMIN, { label: 'stolen' })).body.error.field).toBe('label');
      const fraud = await label(ADMIN, { label: 'fraud', note: 'customer called: not them' });
      expect(fraud.status).toBe(200);
      expect(fraud.body).toMatchObject({ label: 'fraud', by: 'admin@example.com', revision: 1 });
      let event = await call(AUDITOR, 'GET /v1/admin/events/{decisionId}', { pathParameters: { decisionId: id } });
      expect(event.body.feedback).toMatchObject({ label: 'fraud', note: 'customer called: not them' });
      expect((await label(ADMIN2, { label: 'legit' })).body).toMatchObject({ label: 'legit', revision: 2 });
      const removed = await label(ADMIN, { label: 'none' });
      expect(removed.body).toMatchObject({ label: 'none', revision: 3 });
      event = await call(AUDITOR, 'GET /v1/admin/events/{decisionId}', { pathParameters: { decisionId: id } });
      expect(event.body.feedback).toBeUndefined();
      expect(
        (
          await call(ADMIN, 'POST /v1/admin/events/{decisionId}/feedback', {
            pathParameters: { decisionId: 'no-such-decision' },
            body: { label: 'fraud' },
          })
        ).status,
      ).toBe(404);
    });
  });

  it('records every change, label and read of personal data in an intact audit trail', async () => {
    const reader = new DynamoDbAuditReader({ client: dynamo, tableName: tables.audit, now: () => clock });
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.exportRecords({ from: START - 1000, to: clock + 1000, ...(cursor ? { cursor } : {}) });
      events.push(...page.records.map((r) => r.event));
      cursor = page.cursor;
    } while (cursor);
    const of = (kind: string) => events.filter((e) => e.kind === kind);
    const changed = of('policy.changed');
    expect(changed.map((e) => e.policyVersion).sort()).toEqual([2, 3, 4, 5]);
    const v2 = changed.find((e) => e.policyVersion === 2)!;
    expect(v2).toMatchObject({
      actor: { type: 'user', id: 'sub-admin' },
      why: 'catch more takeovers',
      before: { version: 1 },
      after: { version: 2 },
      data: {
        changes: [
          {
            path: 'levels.high.stepUpAt',
            kind: 'changed',
            before: String(defaultPolicy.levels.high.stepUpAt),
            after: '20',
          },
        ],
      },
    });
    expect(
      of('policy.proposed')
        .map((e) => e.policyVersion)
        .sort(),
    ).toEqual([5, 6]);
    expect(of('policy.approved').map((e) => [e.policyVersion, e.outcome])).toEqual([[5, 'approved']]);
    // A rejection has a kind of its own: a reader filtering on approvals must not count it as one.
    expect(of('policy.rejected').map((e) => [e.policyVersion, e.outcome, e.why])).toEqual([[6, 'rejected', 'no']]);
    expect(of('feedback.labelled').map((e) => e.outcome)).toEqual(['fraud', 'legit']);
    expect(of('feedback.removed')).toHaveLength(1);
    expect(of('feedback.removed')[0]).toMatchObject({
      before: { label: 'legit' },
      after: null,
      subject: 'user-1@example.com',
    });
    expect(of('admin.read').filter((e) => e.subject === 'user-1@example.com').length).toBeGreaterThan(0);
    const verified = await reader.verifyAll(clock);
    expect(verified.ok).toBe(true);
  });
});
