import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, startTestRuntime } from '../support/local-runtime';
import { reasonCodes, send } from './helpers';
import {
  auditedDecisionIds,
  establish,
  FIREFOX_WIN,
  legitUsers,
  runTraffic,
  storedDecisionIds,
  type TrafficReport,
} from './traffic';

/**
 * A short steady load on the local HTTP API (real gateway, authorizer, handler, DynamoDB Local): familiar users
 * mixed with credential stuffing from three IPs. The longer version is `npm run soak` (bench/soak.ts).
 */

const DURATION_MS = Number(process.env.STEPGATE_LOAD_MS ?? 8000);
const CONCURRENCY = 16;
const THRESHOLD = defaultPolicy.weights.velocity.ipManyUsers.threshold;
const STUFFING_IPS = ['81.2.69.142', '81.2.69.143', '81.2.69.144'];

/**
 * Whether the local wiring writes an audit record in each decision's transaction (lambdas/local/local-wiring.ts
 * passes `auditLog` to composeDecide). Stated here rather than detected, so that losing the wiring fails loudly.
 */
const DECISIONS_ARE_AUDITED = true;

describe('steady load with credential stuffing', () => {
  let runtime: LocalRuntime;
  let token: string;
  let established = 0;
  let report: TrafficReport;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    token = await appToken(runtime.url);
    const users = legitUsers(32, 'load');
    // Establishing is set-up, not the load under test: a few at a time so a busy machine does not time it out.
    established = await establish(runtime.url, () => token, users, 4);
    report = await runTraffic({
      baseUrl: runtime.url,
      token: () => token,
      durationMs: DURATION_MS,
      // On a slow or busy machine keep going until each stuffing IP is well past the threshold (bounded).
      maxDurationMs: 30_000,
      until: ({ answeredPerIp }) => STUFFING_IPS.every((ip) => (answeredPerIp.get(ip) ?? 0) >= THRESHOLD + 10),
      concurrency: CONCURRENCY,
      legit: users,
      stuffingIps: STUFFING_IPS,
      stuffingShare: 0.5,
      threshold: THRESHOLD,
      label: 'load',
    });
    const { decisionIds: _ids, ...figures } = report;
    console.info(`load test figures: ${JSON.stringify({ established, ...figures })}`);
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
  });

  it('answers every request: no 5xx, no dropped connection, nothing failed closed on a healthy store', () => {
    expect(report.sent).toBeGreaterThan(STUFFING_IPS.length * THRESHOLD);
    expect(report.errors).toBe(0);
    expect(report.fiveXx).toBe(0);
    expect(Object.keys(report.byStatus)).toEqual(['200']);
    expect(report.failedClosed).toBe(0);
  });

  it('keeps familiar users at allow while stuffing runs next to them', () => {
    expect(report.legit.requests).toBeGreaterThanOrEqual(20);
    expect(report.legit.wrongDecisions).toEqual([]);
    expect(report.legit.allowed).toBe(report.legit.requests);
  });

  it('flags every stuffing attempt past the threshold with velocity.ip_many_users and does not allow it', () => {
    expect(report.stuffing.afterThreshold).toBeGreaterThanOrEqual(STUFFING_IPS.length * 5);
    expect(report.stuffing.misses).toEqual([]);
    expect(report.stuffing.afterThresholdCaught).toBe(report.stuffing.afterThreshold);
  });

  it('loses no decision record: every decided 200 has its stored decision, and nothing else was stored', async () => {
    const stored = await storedDecisionIds(runtime.context.dynamo, runtime.context.tables);
    const lost = report.decisionIds.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(stored.size).toBe(established + report.decisionIds.length);
  });

  it('reconciles the audit trail with the decisions answered', async () => {
    const audited = await auditedDecisionIds(runtime.context.dynamo, runtime.context.tables);
    if (!DECISIONS_ARE_AUDITED) {
      expect(audited).toEqual([]);
      return;
    }
    // One audit record per decided answer, no duplicates, none missing (establishing decisions included).
    expect(new Set(audited).size).toBe(audited.length);
    expect(audited.length).toBe(established + report.decisionIds.length);
    const recorded = new Set(audited);
    expect(report.decisionIds.filter((id) => !recorded.has(id))).toEqual([]);
  });

  it('leaves an audit trail that verifies: chains intact after concurrent appends', async () => {
    if (!DECISIONS_ARE_AUDITED) return;
    const { issuer, identities } = runtime.context;
    const auditor = identities.users.find((u) => u.groups.includes('risk-auditors'))!;
    const access = (await issuer.userTokens(auditor, identities.webClient.clientId, Math.floor(Date.now() / 1000)))
      .AccessToken;
    const answer = await send(`${runtime.url}/v1/admin/audit/verify`, {
      method: 'GET',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, breaks: [] });
    expect(answer.body.records).toBeGreaterThanOrEqual(established + report.decisionIds.length);
  });

  // Evasions of the per-IP velocity counters: rotating the spelling of one address, or back-dating requests inside
  // the accepted 24 h window. The store keys counters by the canonical address and buckets them by server time.
  // The scenarios run in a plain test first, which checks they ran cleanly (all 200, nothing failed closed), so the
  // failing tests can only fail for the reason they name.
  const evasion: Record<'control' | 'variants' | 'backdated', string[]> = { control: [], variants: [], backdated: [] };

  async function stuff(name: keyof typeof evasion, ip: (i: number) => string, timestamp?: () => string) {
    const answers: Awaited<ReturnType<typeof send>>[] = [];
    const request = (i: number) =>
      send(`${runtime.url}/v1/decisions`, {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          userId: `evader-${name}-${i}@example.com`,
          action: 'auth.sign_in',
          context: { ip: ip(i), userAgent: FIREFOX_WIN, ...(timestamp ? { timestamp: timestamp() } : {}) },
        }),
      });
    let next = 0;
    const attempts = THRESHOLD + 5;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < attempts; i = next++) answers.push(await request(i));
      }),
    );
    // One more attempt once all of those are answered: by then the rule has all it needs to fire.
    const probe = await request(attempts);
    for (const answer of [...answers, probe]) {
      expect(answer.status).toBe(200);
      expect(reasonCodes(answer.body)).not.toContain('store.unavailable');
    }
    evasion[name] = reasonCodes(probe.body);
  }

  it('runs the evasion scenarios cleanly, and catches the plain one (control)', async () => {
    await stuff('control', () => '81.2.69.150');
    const forms = [
      '81.2.69.151',
      '::ffff:81.2.69.151',
      '::ffff:5102:4597',
      '0:0:0:0:0:ffff:81.2.69.151',
      '::FFFF:81.2.69.151',
    ];
    await stuff('variants', (i) => forms[i % forms.length]!);
    await stuff(
      'backdated',
      () => '81.2.69.152',
      () => new Date(Date.now() - 3 * 3600_000).toISOString(),
    );
    expect(evasion.control).toContain('velocity.ip_many_users');
  });

  it('catches stuffing that writes the same IP in different textual forms', () => {
    expect(evasion.variants).toContain('velocity.ip_many_users');
  });

  it('catches stuffing that carries back-dated (accepted) timestamps', () => {
    expect(evasion.backdated).toContain('velocity.ip_many_users');
  });
});
