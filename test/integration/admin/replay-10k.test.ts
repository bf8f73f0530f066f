import type { Context } from 'aws-lambda';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbPolicyStore } from '../../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { composeAdmin } from '../../../lambdas/composition/admin';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { evaluate } from '../../../lambdas/core/risk/engine';
import {
  mergeReports,
  type SimulationReport,
  type TransitionMatrix,
} from '../../../lambdas/core/simulation/simulation';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import { httpEvent, recordTraffic, writeRecords, type Recorded } from './recorded-traffic';

const EVENTS = 10_000;
const START = Date.parse('2026-11-02T06:00:00.000Z');
const LIVE = { version: 1, policy: defaultPolicy, updatedAt: new Date(START).toISOString(), updatedBy: 'seed' };
const ADMIN = { sub: 'sub-admin', username: 'admin@example.com', 'cognito:groups': ['risk-admins'] };

/** Stricter for high actions and new devices, laxer for sign-in and medium actions: moves decisions both ways. */
const CANDIDATE: Policy = (() => {
  const p = structuredClone(defaultPolicy);
  p.version = 2;
  p.levels.high.stepUpAt = 15;
  p.levels.low.stepUpAt = 80;
  p.levels.low.denyAt = 95;
  // The default policy denies medium and high at 100: a more sensitive level may not deny later than a less
  // sensitive one, so the stricter candidate lowers them with low's.
  p.levels.medium.denyAt = 95;
  p.levels.high.denyAt = 95;
  p.levels.medium.stepUpAt = 60;
  p.weights.evidence.device = 1.5;
  p.weights.evidence.country = 2;
  p.weights.velocity.ipManyUsers = { points: 60, threshold: 10 };
  return p;
})();

describe('simulate and shadow on 10,000 recorded decisions', () => {
  const dynamo = testDynamoClient();
  let recorded: Recorded;
  let clock = START;
  let call: (
    routeKey: string,
    options?: Parameters<typeof httpEvent>[2],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ) => Promise<{ status: number; body: any }>;
  let sizes: { maxItemBytes: number; meanItemBytes: number };
  let runId: string;

  beforeAll(async () => {
    const tables = await createTestTables(dynamo, 'replay');
    await new DynamoDbPolicyStore(dynamo, tables.policy).seedIfEmpty(LIVE);
    const audit = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, now: () => clock, writer: 'test' });
    const { handler } = composeAdmin({ dynamo, tables, clock: () => clock, audit, replayChunkEvents: 3000 });
    call = async (routeKey, options = {}) => {
      const res = await handler(httpEvent(routeKey, ADMIN, options), {} as Context);
      return { status: res.statusCode ?? 0, body: JSON.parse(String(res.body)) };
    };
    // The shadow run starts before the traffic, so every recorded decision is scored beside the live policy.
    const started = await call('POST /v1/admin/shadow', { body: { policy: CANDIDATE, reason: 'try stricter high' } });
    expect(started.status).toBe(201);
    runId = started.body.runId;
    recorded = await recordTraffic({
      count: EVENTS,
      users: 300,
      seed: 42,
      start: START,
      policy: LIVE,
      shadow: { runId, policy: CANDIDATE },
    });
    sizes = await writeRecords(dynamo, tables.risk, recorded);
    clock = recorded.end + 60_000;
  }, 240_000);
  afterAll(() => dynamo.destroy());

  /** Follows the cursor to the end, merging the chunk reports. */
  async function complete(routeKey: string, first: Parameters<typeof httpEvent>[2]): Promise<SimulationReport> {
    const reports: SimulationReport[] = [];
    let options = first;
    for (let i = 0; i < 20; i++) {
      const res = await call(routeKey, options);
      expect(res.status).toBe(200);
      reports.push(res.body.report);
      if (res.body.complete) return mergeReports(reports, 5000)!;
      options = options?.body
        ? { ...options, body: { ...options.body, cursor: res.body.cursor } }
        : { ...options, query: { ...(options?.query ?? {}), cursor: res.body.cursor } };
    }
    throw new Error('replay did not finish');
  }

  const window = () => ({ from: new Date(START).toISOString(), to: new Date(recorded.end + 1).toISOString() });

  it('records everything a replay needs in well under 10 KB per decision', () => {
    expect(recorded.store.records).toHaveLength(EVENTS);
    expect(sizes.maxItemBytes).toBeLessThan(10_000);
    // Printed for the record: the issue asks to measure it.
    console.info(`decision item size: mean ${sizes.meanItemBytes} B, max ${sizes.maxItemBytes} B`);
  });

  it('replays the live policy to exactly the recorded decisions', async () => {
    const report = await complete('POST /v1/admin/policy/simulate', { body: { ...window(), maxChangedEvents: 5000 } });
    expect(report.events).toEqual({ total: EVENTS, compared: EVENTS, skipped: { notReplayable: 0, unknownAction: 0 } });
    expect(report.changed).toBe(0);
    expect(report.scoreChanged).toBe(0);
  }, 120_000);

  let simulated: SimulationReport;

  it('reports the same transitions as re-running the decisions under the candidate', async () => {
    simulated = await complete('POST /v1/admin/policy/simulate', {
      body: { policy: CANDIDATE, ...window(), maxChangedEvents: 5000 },
    });
    const expected: TransitionMatrix = {
      allow: { allow: 0, step_up: 0, deny: 0 },
      step_up: { allow: 0, step_up: 0, deny: 0 },
      deny: { allow: 0, step_up: 0, deny: 0 },
    };
    const changed: string[] = [];
    let fraudCaught = 0;
    for (const record of recorded.store.records) {
      const rerun = evaluate({ ...recorded.store.inputs.get(record.decisionId)!, policy: CANDIDATE });
      expected[record.evaluation.decision][rerun.decision]++;
      if (rerun.decision !== record.evaluation.decision) changed.push(record.decisionId);
      if (recorded.labels.get(record.decisionId) === 'fraud' && rerun.decision !== 'allow') fraudCaught++;
    }
    expect(simulated.events.compared).toBe(EVENTS);
    expect(simulated.transitions).toEqual(expected);
    expect(simulated.changedEvents.map((c) => c.decisionId)).toEqual(changed);
    expect(simulated.labels.fraud.caughtAfter).toBe(fraudCaught);
    // The traffic is varied enough for the candidate to move decisions both ways.
    expect(simulated.changed).toBeGreaterThan(50);
    expect(simulated.transitions.allow.step_up + simulated.transitions.allow.deny).toBeGreaterThan(0);
    expect(simulated.transitions.step_up.allow).toBeGreaterThan(0);
    expect(simulated.labels.fraud.events).toBeGreaterThan(100);
    expect(simulated.labels.legit.events).toBeGreaterThan(100);
  }, 120_000);

  it('records shadow disagreements that match simulate on the same traffic', async () => {
    const shadow = await complete('GET /v1/admin/shadow/report', { query: { runId } });
    expect(shadow.events.compared).toBe(EVENTS);
    expect(shadow.transitions).toEqual(simulated.transitions);
    expect(shadow.changedEvents.map((c) => [c.decisionId, c.before.decision, c.after.decision])).toEqual(
      simulated.changedEvents.map((c) => [c.decisionId, c.before.decision, c.after.decision]),
    );
    expect(shadow.labels).toEqual(simulated.labels);
    expect(shadow.histograms).toEqual(simulated.histograms);
  }, 120_000);

  it('is deterministic: the same events, policy and version give the same report', async () => {
    const again = await complete('POST /v1/admin/policy/simulate', {
      body: { policy: CANDIDATE, ...window(), maxChangedEvents: 5000 },
    });
    expect(JSON.stringify(again)).toBe(JSON.stringify(simulated));
  }, 120_000);
});
