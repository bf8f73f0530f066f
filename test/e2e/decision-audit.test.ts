import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { ExportedRecord } from '../../lambdas/ports/audit-log';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

describe('every decision has exactly one audit record', () => {
  let runtime: LocalRuntime;
  const clock = Date.now();
  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => clock });
  });
  afterAll(() => runtime.stop());

  async function decisionRecords(): Promise<ExportedRecord[]> {
    const reader = new DynamoDbAuditReader({ client: runtime.context.dynamo, tableName: runtime.context.tables.audit });
    const out: ExportedRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.exportRecords({
        from: clock - 3600_000,
        to: clock + 3600_000,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.records);
      cursor = page.cursor;
    } while (cursor);
    return out.filter((r) => r.event.kind === 'decision');
  }

  it('reconciles 60 decisions from 20 concurrent writers, with retried requests, and the trail verifies clean', async () => {
    const token = await appToken(runtime.url);
    const decide = (i: number) =>
      postJson(`${runtime.url}/v1/decisions`, token, {
        userId: `audit-${i % 7}@example.com`,
        action: i % 3 === 0 ? 'payment.transfer' : 'auth.sign_in',
        context: { ip: `81.2.69.${(i % 50) + 1}` },
        requestId: `req-${i}`,
      });
    const answered = new Set<string>();
    for (let wave = 0; wave < 3; wave++) {
      const responses = await Promise.all(Array.from({ length: 20 }, (_, j) => decide(wave * 20 + j)));
      for (const res of responses) {
        expect(res.status).toBe(200);
        answered.add(res.body.decisionId as string);
      }
    }
    // Injected retries: the same requests again (an app retrying after a timeout) must not add records.
    const retries = await Promise.all(Array.from({ length: 20 }, (_, i) => decide(i)));
    for (const res of retries) expect(answered.has(res.body.decisionId as string)).toBe(true);

    const records = await decisionRecords();
    const ids = records.map((r) => (r.event.data as { decisionId: string }).decisionId);
    expect(ids).toHaveLength(60);
    expect(new Set(ids)).toEqual(answered);
    for (const r of records) expect(JSON.stringify(r.event)).not.toMatch(/81\.2\.69/);

    const reader = new DynamoDbAuditReader({ client: runtime.context.dynamo, tableName: runtime.context.tables.audit });
    const verification = await reader.verifyAll(clock);
    expect(verification.ok).toBe(true);
    expect(verification.breaks).toEqual([]);
  }, 60_000);
});
