import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { DynamoDbPolicyStore } from '../../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { decisionItem } from '../../../lambdas/adapters/dynamodb/items/decision';
import { mergeOverview, type OverviewTotals } from '../../../lambdas/application/console-reads/console-views';
import { composeAdmin } from '../../../lambdas/composition/admin';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { buildAuditApiHandler } from '../../../lambdas/handlers/audit/audit-routes';
import type { HttpLambda } from '../../../lambdas/handlers/http/http-handler';
import type { DecisionRecord } from '../../../lambdas/ports/decision-store';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import { httpEvent, recordTraffic } from '../admin/recorded-traffic';

const START = Date.parse('2026-11-29T10:00:00.000Z');
const AUDITOR = { sub: 'sub-auditor', username: 'auditor@example.com', 'cognito:groups': ['risk-auditors'] };
const ALICE = { sub: 'sub-alice', username: 'alice@example.com' };
const WINDOW = { from: '2026-11-29T09:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

type Claims = Record<string, string | string[]>;

describe('security console reads (in process, DynamoDB Local)', () => {
  const dynamo = testDynamoClient();
  let tables: TableNames;
  let clock = START + 86_400_000;
  let records: readonly DecisionRecord[];
  let reader: DynamoDbAuditReader;
  let admin: HttpLambda;
  let audit: HttpLambda;

  async function call(handler: HttpLambda, claims: Claims, routeKey: string, options = {}) {
    clock += 1000;
    const res = await handler(httpEvent(routeKey, claims, options), {} as Context);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
    const body: any = JSON.parse(String(res.body));
    return { status: res.statusCode ?? 0, body };
  }

  beforeAll(async () => {
    tables = await createTestTables(dynamo, 'console');
    const policy = { version: 1, policy: defaultPolicy, updatedAt: new Date(START).toISOString(), updatedBy: 'seed' };
    await new DynamoDbPolicyStore(dynamo, tables.policy).seedIfEmpty(policy);
    const recorded = await recordTraffic({ count: 60, users: 3, seed: 11, start: START, policy });
    records = recorded.store.records;
    for (let i = 0; i < records.length; i += 25) {
      await dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [tables.risk]: records.slice(i, i + 25).map((r) => ({ PutRequest: { Item: decisionItem(r, 90) } })),
          },
        }),
      );
    }
    const auditLog = new DynamoDbAuditLog({
      client: dynamo,
      tableName: tables.audit,
      now: () => clock,
      writer: 'test',
    });
    // The trail the overview counts: one decision record per recorded decision, as the decide path writes them.
    for (const r of records) {
      await auditLog.append({
        eventId: `decision:${r.decisionId}`,
        kind: 'decision',
        actor: { type: 'app', id: r.clientId },
        subject: r.userId,
        action: r.action,
        outcome: r.evaluation.decision,
        reasons: r.evaluation.reasons.map((x) => x.code),
        at: new Date(r.at).toISOString(),
      });
    }
    reader = new DynamoDbAuditReader({ client: dynamo, tableName: tables.audit, now: () => clock });
    admin = composeAdmin({ dynamo, tables, clock: () => clock, audit: auditLog }).handler;
    audit = buildAuditApiHandler({ auditReader: reader, auditLog, now: () => clock, overviewChunkRecords: 7 });
  });
  afterAll(() => dynamo.destroy());

  const newestFirst = (rs: readonly DecisionRecord[]) =>
    [...rs].sort((a, b) => b.at - a.at || b.decisionId.localeCompare(a.decisionId)).map((r) => r.decisionId);

  async function stream(query: Record<string, string>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await call(admin, AUDITOR, 'GET /v1/admin/decisions', {
        query: { ...WINDOW, limit: '7', ...query, ...(cursor ? { cursor } : {}) },
      });
      expect(res.status).toBe(200);
      for (const d of res.body.decisions as { decisionId: string }[]) seen.push(d.decisionId);
      cursor = res.body.cursor as string | undefined;
    } while (cursor);
    return seen;
  }

  it('pages the whole decision stream newest first, and filters by user and by decision', async () => {
    expect(await stream({})).toEqual(newestFirst(records));
    const userId = records[0]!.userId;
    expect(await stream({ userId })).toEqual(newestFirst(records.filter((r) => r.userId === userId)));
    const decision = records[0]!.evaluation.decision;
    expect(await stream({ decision })).toEqual(newestFirst(records.filter((r) => r.evaluation.decision === decision)));
  });

  it("shows a user's trusted contexts with how much history was read, and records each read", async () => {
    const userId = records[0]!.userId;
    const res = await call(admin, AUDITOR, 'GET /v1/admin/users/{userId}/profile', { pathParameters: { userId } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userId,
      historyScanned: records.filter((r) => r.userId === userId).length,
      historyComplete: true,
    });
    const trail = await reader.exportRecords({ from: START, to: clock + 1, limit: 1000 });
    const reads = trail.records.map((r) => r.event).filter((e) => e.kind === 'admin.read');
    expect(reads.map((e) => e.action)).toEqual(expect.arrayContaining(['decisions.read', 'users.profile.read']));
    expect(reads.find((e) => e.action === 'users.profile.read')).toMatchObject({ subject: userId });
  });

  it('counts the overview a chunk at a time, and the chunks add up to every decision by hour and outcome', async () => {
    let totals: OverviewTotals = { records: 0, decisions: 0, hours: [], reasons: [] };
    let cursor: string | undefined;
    let chunks = 0;
    do {
      const res = await call(audit, AUDITOR, 'GET /v1/admin/overview', {
        query: cursor ? { cursor } : { from: WINDOW.from, to: new Date(START + 86_400_000).toISOString() },
      });
      expect(res.status).toBe(200);
      totals = mergeOverview(totals, res.body.totals as OverviewTotals);
      cursor = res.body.cursor as string | undefined;
      expect(res.body.complete).toBe(cursor === undefined);
      chunks += 1;
    } while (cursor);
    expect(chunks).toBeGreaterThan(1);
    expect(totals.decisions).toBe(records.length);
    const expected = new Map<string, number>();
    for (const r of records) {
      const hour = new Date(Math.floor(r.at / 3_600_000) * 3_600_000).toISOString();
      const key = `${hour} ${r.evaluation.decision}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const counted = new Map<string, number>();
    for (const h of totals.hours)
      for (const d of ['allow', 'step_up', 'deny'] as const) if (h[d] > 0) counted.set(`${h.hour} ${d}`, h[d]);
    expect(counted).toEqual(expected);
  });

  it('refuses non-staff (403) and names the bad parameter (400)', async () => {
    expect((await call(admin, ALICE, 'GET /v1/admin/decisions', { query: WINDOW })).status).toBe(403);
    expect((await call(audit, ALICE, 'GET /v1/admin/overview')).status).toBe(403);
    const bad = async (query: Record<string, string>, field: string) => {
      const res = await call(admin, AUDITOR, 'GET /v1/admin/decisions', { query });
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
    };
    await bad({ decision: 'maybe' }, 'decision');
    await bad({ limit: '500' }, 'limit');
    await bad({ userId: 'a\u0000b' }, 'userId');
    await bad({ sortBy: 'score' }, 'query');
    await bad({ from: '2026-11-30T00:00:00Z', to: '2026-11-29T00:00:00Z' }, 'from');
    await bad({ cursor: 'not-a-cursor' }, 'cursor');
    const overview = await call(audit, AUDITOR, 'GET /v1/admin/overview', { query: { cursor: 'forged' } });
    expect(overview.status).toBe(400);
    expect(overview.body.error.field).toBe('cursor');
  });
});
