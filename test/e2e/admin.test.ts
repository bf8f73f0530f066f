import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { AuditEvent } from '../../lambdas/core/audit/audit-event';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import type { SimulationReport } from '../../lambdas/core/simulation/simulation';
import type { LocalUser } from '../../lambdas/local/local-identities';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

// Addresses geoip-lite places in these cities (see the decisions e2e test).
const NEW_YORK = '12.45.10.20';
const TOKYO = '1.72.10.20';
const BERLIN = '2.204.10.20';
const DENIED = '45.33.32.156';
const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

describe('admin API, shadow mode and CLI through the local runtime', () => {
  let runtime: LocalRuntime;
  let clock = Date.parse('2026-11-29T10:00:00Z');
  const tokens: Record<'admin' | 'admin2' | 'auditor' | 'alice' | 'app', string> = {
    admin: '',
    admin2: '',
    auditor: '',
    alice: '',
    app: '',
  };

  async function refreshTokens() {
    const { users, webClient } = runtime.context.identities;
    const user = (name: string) => users.find((u) => u.username === name)!;
    const admin2: LocalUser = { ...user('admin@example.com'), sub: 'second-admin-sub', username: 'second@example.com' };
    const sign = async (u: LocalUser) =>
      (await runtime.context.issuer.userTokens(u, webClient.clientId, Math.floor(clock / 1000))).AccessToken;
    tokens.admin = await sign(user('admin@example.com'));
    tokens.admin2 = await sign(admin2);
    tokens.auditor = await sign(user('auditor@example.com'));
    tokens.alice = await sign(user('alice@example.com'));
    tokens.app = await appToken(runtime.url);
  }

  async function request(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ): Promise<{ status: number; body: any; headers: Headers }> {
    // Each admin action at its own time, so that audit records sort in the order they happened.
    clock += 1000;
    const res = await fetch(`${runtime.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  const decide = async (userId: string, action: string, ip: string, userAgent = CHROME_MAC, deviceId?: string) => {
    clock += 30_000;
    const res = await postJson(`${runtime.url}/v1/decisions`, tokens.app, {
      userId,
      action,
      context: { ip, userAgent, ...(deviceId ? { deviceId } : {}) },
    });
    expect(res.status).toBe(200);
    return res.body as {
      decisionId: string;
      decision: string;
      score: number;
      policyVersion: number;
      reasons: { code: string }[];
    };
  };

  const active = async () =>
    (await request('GET', '/v1/admin/policy', tokens.admin)).body as { version: number; policy: Policy };

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => clock });
    await refreshTokens();
  });
  afterAll(() => runtime.stop());

  it('answers 403 to anyone outside risk-admins and risk-auditors, and 401 without a token', async () => {
    expect((await request('GET', '/v1/admin/policy', tokens.alice)).status).toBe(403);
    expect((await request('GET', '/v1/admin/users/alice@example.com/events', tokens.alice)).status).toBe(403);
    const put = await request(
      'PUT',
      '/v1/admin/policy',
      tokens.alice,
      { policy: defaultPolicy, reason: 'x' },
      { 'if-match': '1' },
    );
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe('forbidden');
    // Auditors read but do not change.
    expect((await request('GET', '/v1/admin/policy', tokens.auditor)).status).toBe(200);
    expect(
      (
        await request(
          'PUT',
          '/v1/admin/policy',
          tokens.auditor,
          { policy: defaultPolicy, reason: 'x' },
          { 'if-match': '1' },
        )
      ).status,
    ).toBe(403);
    expect((await request('GET', '/v1/admin/policy', undefined)).status).toBe(401);
    // An app's client-credentials token is not a user-pool sign-in.
    expect((await request('GET', '/v1/admin/policy', tokens.app)).status).toBe(401);
  });

  it('serves the active policy with its version as ETag', async () => {
    const res = await request('GET', '/v1/admin/policy', tokens.admin);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({
        version: 1,
        policy: defaultPolicy,
        updatedAt: expect.any(String),
        updatedBy: 'stepgate seed',
      }),
    );
    expect(res.headers.get('etag')).toBe('"1"');
  });

  it('answers 400 naming the field for an invalid policy', async () => {
    const policy = structuredClone(defaultPolicy) as unknown as { weights: { geo: { newCountry: number } } };
    policy.weights.geo.newCountry = -5;
    const res = await request(
      'PUT',
      '/v1/admin/policy',
      tokens.admin,
      { policy, reason: 'typo' },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('policy.weights.geo.newCountry');
    expect(res.body.error.message).toMatch(/^policy\.weights\.geo\.newCountry: /);
  });

  it('makes a change visible to the next decision after the policy cache bound (5 s)', async () => {
    const before = await decide('visitor@example.com', 'profile.view', DENIED);
    expect(before.decision).toBe('allow');
    expect(before.policyVersion).toBe(1);
    const policy = structuredClone(defaultPolicy);
    policy.lists.deny = [DENIED];
    const res = await request(
      'PUT',
      '/v1/admin/policy',
      tokens.admin,
      { policy, reason: 'scanner seen in logs' },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    clock += 5_000;
    const after = await decide('visitor@example.com', 'profile.view', DENIED);
    expect(after.policyVersion).toBe(2);
    expect(after.decision).toBe('deny');
    expect(after.reasons.map((r) => r.code)).toContain('ip.denylisted');
  });

  it('answers 409 to a PUT based on a stale version', async () => {
    const res = await request(
      'PUT',
      '/v1/admin/policy',
      tokens.admin2,
      { policy: defaultPolicy, reason: 'revert' },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect((await active()).version).toBe(2);
  });

  let labelled: string;

  it('shows a user history with decisions and reasons, and takes reversible labels', async () => {
    for (let i = 0; i < 3; i++) await decide('bob@example.com', 'auth.sign_in', NEW_YORK, CHROME_MAC, 'bob-1');
    const odd = await decide('bob@example.com', 'payment.transfer', BERLIN, FIREFOX_WIN, 'bob-2');
    const history = await request('GET', '/v1/admin/users/bob@example.com/events?limit=10', tokens.auditor);
    expect(history.status).toBe(200);
    expect(history.body.events).toHaveLength(4);
    expect(history.body.events[0]).toMatchObject({
      decisionId: odd.decisionId,
      action: 'payment.transfer',
      decision: odd.decision,
      score: odd.score,
      policyVersion: 2,
      context: expect.objectContaining({ ip: BERLIN, country: 'DE' }),
    });
    expect((history.body.events[0].reasons as { code: string }[]).map((r) => r.code)).toEqual(
      odd.reasons.map((r) => r.code),
    );

    labelled = odd.decisionId;
    const path = `/v1/admin/events/${labelled}/feedback`;
    expect((await request('POST', path, tokens.auditor, { label: 'fraud' })).status).toBe(403);
    const fraud = await request('POST', path, tokens.admin, { label: 'fraud', note: 'card reported stolen' });
    expect(fraud.status).toBe(200);
    expect(fraud.body).toMatchObject({ label: 'fraud', by: 'admin@example.com' });
    expect((await request('GET', `/v1/admin/events/${labelled}`, tokens.auditor)).body.feedback).toMatchObject({
      label: 'fraud',
    });
    expect((await request('POST', path, tokens.admin, { label: 'none' })).body.label).toBe('none');
    expect((await request('GET', `/v1/admin/events/${labelled}`, tokens.auditor)).body.feedback).toBeUndefined();
    expect((await request('POST', path, tokens.admin2, { label: 'fraud' })).status).toBe(200);
  });

  let shadowWindow: { from: string; to: string };
  let candidate: Policy;

  it('scores a shadow candidate on every decision and reports the same disagreements as simulate', async () => {
    candidate = structuredClone((await active()).policy);
    // Stricter everywhere: sign-ins from new places step up, and so does a high action on any novelty.
    candidate.levels.low.stepUpAt = 20;
    candidate.levels.medium.stepUpAt = 20;
    candidate.levels.high.stepUpAt = 10;
    candidate.lists.deny = [];
    const started = await request('POST', '/v1/admin/shadow', tokens.admin, {
      policy: candidate,
      reason: 'stricter sign-in',
    });
    expect(started.status).toBe(201);
    expect(
      (await request('POST', '/v1/admin/shadow', tokens.admin, { policy: candidate, reason: 'again' })).status,
    ).toBe(409);
    clock += 5_000; // the candidate reaches the decide path with the next policy refresh

    const from = new Date(clock + 1).toISOString();
    const users = ['carol', 'dave', 'erin', 'frank'].map((u) => `${u}@example.com`);
    const places = [NEW_YORK, NEW_YORK, TOKYO, BERLIN, DENIED];
    const actions = ['auth.sign_in', 'auth.sign_in', 'payment.transfer', 'profile.view', 'data.export'];
    const decided: { decisionId: string }[] = [];
    for (let i = 0; i < 30; i++) {
      decided.push(
        await decide(
          users[i % 4]!,
          actions[i % 5]!,
          places[(i * 7) % 5]!,
          i % 3 === 0 ? FIREFOX_WIN : CHROME_MAC,
          `dev-${i % 4}`,
        ),
      );
    }
    const to = new Date(clock + 1).toISOString();
    shadowWindow = { from, to };
    expect((await request('POST', '/v1/admin/shadow/stop', tokens.admin, { reason: 'enough data' })).status).toBe(200);

    const shadow = await request('GET', '/v1/admin/shadow/report', tokens.auditor);
    expect(shadow.status).toBe(200);
    expect(shadow.body.complete).toBe(true);
    const shadowReport = shadow.body.report as SimulationReport;
    expect(shadowReport.events.compared).toBe(30);
    expect(shadowReport.changed).toBeGreaterThan(0);

    const simulated = await request('POST', '/v1/admin/policy/simulate', tokens.auditor, {
      policy: candidate,
      ...shadowWindow,
    });
    expect(simulated.status).toBe(200);
    const simulation = simulated.body.report as SimulationReport;
    expect(simulation.events).toEqual({ total: 30, compared: 30, skipped: { notReplayable: 0, unknownAction: 0 } });
    expect(simulation.transitions).toEqual(shadowReport.transitions);
    expect(simulation.changedEvents.map((c) => c.decisionId)).toEqual(
      shadowReport.changedEvents.map((c) => c.decisionId),
    );
    expect(simulation.changedEvents.map((c) => c.after)).toEqual(
      shadowReport.changedEvents.map((c): unknown => expect.objectContaining(c.after)),
    );
    // The live policy replayed on its own decisions reproduces them exactly (the stored input is complete).
    const same = await request('POST', '/v1/admin/policy/simulate', tokens.auditor, shadowWindow);
    expect(same.body.report.changed).toBe(0);
    expect(same.body.report.scoreChanged).toBe(0);
    // Each decision carries its shadow answer.
    const one = await request('GET', `/v1/admin/events/${decided[0]!.decisionId}`, tokens.auditor);
    expect(one.body.shadow).toMatchObject({ runId: started.body.runId, decision: expect.any(String) });
  });

  it('runs the same through the stepgate CLI, online and offline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stepgate-cli-'));
    const out: string[] = [];
    const capture = (chunk: unknown) => {
      out.push(String(chunk));
      return true;
    };
    const spies = [
      jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void capture(`${a.join(' ')}\n`)),
      jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void capture(`${a.join(' ')}\n`)),
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const conn = ['--url', runtime.url, '--token', tokens.admin];
    try {
      expect(await main(['policy', 'get', '--out', join(dir, 'p.json'), ...conn])).toBe(0);
      const doc = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8')) as Policy;
      expect(doc.version).toBe(2);
      const medium = doc.levels.medium.stepUpAt;
      doc.levels.medium.stepUpAt = medium - 5;
      await writeFile(join(dir, 'p.json'), JSON.stringify(doc));
      expect(
        await main(['policy', 'apply', '--policy', join(dir, 'p.json'), '--reason', 'medium a bit stricter', ...conn]),
      ).toBe(0);
      expect(out.join('')).toContain('applied as version 3');
      // The file still says version 2: applying it again is refused, not silently merged.
      expect(await main(['policy', 'apply', '--policy', join(dir, 'p.json'), '--reason', 'again', ...conn])).toBe(1);
      expect(out.join('')).toMatch(/409/);
      // An unchanged file says one thing, once, and needs no reason: nothing is applied.
      expect(await main(['policy', 'get', '--out', join(dir, 'p3.json'), ...conn])).toBe(0);
      out.length = 0;
      expect(await main(['policy', 'apply', '--policy', join(dir, 'p3.json'), ...conn])).toBe(0);
      expect(out.join('')).toBe(
        `no changes: ${join(dir, 'p3.json')} is the same as active version 3; nothing to apply\n`,
      );
      out.length = 0;
      expect(await main(['policy', 'history', ...conn])).toBe(0);
      expect(out.join('')).toMatch(/^3 +\S+ +admin@example\.com +medium a bit stricter/m);
      out.length = 0;
      expect(await main(['policy', 'diff', '2', '3', ...conn])).toBe(0);
      expect(out.join('')).toMatch(new RegExp(`levels\\.medium\\.stepUpAt +changed +${medium} +${medium - 5}`));

      const events = join(dir, 'events.jsonl');
      expect(
        await main([
          'events',
          '--export',
          events,
          '--from',
          shadowWindow.from,
          '--to',
          shadowWindow.to,
          '--quiet',
          ...conn,
        ]),
      ).toBe(0);
      expect((await readFile(events, 'utf8')).trim().split('\n')).toHaveLength(30);
      await writeFile(join(dir, 'candidate.json'), JSON.stringify(candidate));
      out.length = 0;
      const html = join(dir, 'report.html');
      const json = join(dir, 'report.json');
      expect(
        await main([
          'simulate',
          '--events',
          events,
          '--policy',
          join(dir, 'candidate.json'),
          '--html',
          html,
          '--json',
          json,
          '--quiet',
        ]),
      ).toBe(0);
      expect(out.join('')).toMatch(/Decision transitions/);
      const offline = JSON.parse(await readFile(json, 'utf8')) as SimulationReport;
      const online = (
        await request('POST', '/v1/admin/policy/simulate', tokens.auditor, { policy: candidate, ...shadowWindow })
      ).body.report as SimulationReport;
      expect(offline).toEqual(online);
      expect(await readFile(html, 'utf8')).toMatch(/^<!doctype html>/);

      out.length = 0;
      expect(await main(['events', 'bob@example.com', ...conn])).toBe(0);
      expect(out.join('')).toContain(labelled);
      expect(await main(['feedback', labelled, 'legit', '--note', 'customer confirmed', ...conn])).toBe(0);
      expect(out.join('')).toContain('labelled legit');
      out.length = 0;
      expect(await main(['shadow', 'status', ...conn])).toBe(0);
      expect(out.join('')).toMatch(/stopped/);
      out.length = 0;
      const shadowHtml = join(dir, 'shadow.html');
      expect(await main(['shadow', 'report', '--html', shadowHtml, '--quiet', ...conn])).toBe(0);
      expect(out.join('')).toMatch(/Decision transitions/);
      expect(await readFile(shadowHtml, 'utf8')).toContain('Changed decisions per action');
      out.length = 0;
      const window = ['--from', shadowWindow.from, '--to', shadowWindow.to];
      const onlineJson = join(dir, 'online.json');
      expect(
        await main([
          'simulate',
          '--policy',
          join(dir, 'candidate.json'),
          ...window,
          '--json',
          onlineJson,
          '--quiet',
          ...conn,
        ]),
      ).toBe(0);
      expect(JSON.parse(await readFile(onlineJson, 'utf8'))).toEqual(offline);
      // Local convenience: sign in through the local Cognito instead of passing a token.
      const auditor = runtime.context.identities.users.find((u) => u.username === 'auditor@example.com')!;
      const signIn = ['--url', runtime.url, '--user', auditor.username, '--password', auditor.password];
      expect(await main(['policy', 'history', ...signIn])).toBe(0);
      expect(await main(['policy', 'get', '--url', runtime.url, '--token', tokens.alice])).toBe(1);
      expect(out.join('')).toMatch(/403/);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps every change and label, and every read of personal data, in the audit trail', async () => {
    const reader = new DynamoDbAuditReader({
      client: runtime.context.dynamo,
      tableName: runtime.context.tables.audit,
      now: () => clock,
    });
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.exportRecords({
        from: clock - 86_400_000,
        to: clock + 60_000,
        ...(cursor ? { cursor } : {}),
      });
      events.push(...page.records.map((r) => r.event));
      cursor = page.cursor;
    } while (cursor);
    const kind = (k: string) => events.filter((e) => e.kind === k);
    expect(kind('policy.changed').map((e) => [e.policyVersion, e.why])).toEqual([
      [2, 'scanner seen in logs'],
      [3, 'medium a bit stricter'],
    ]);
    expect(kind('policy.changed')[0]).toMatchObject({
      actor: { type: 'user', id: expect.any(String) },
      before: { version: 1 },
      after: { version: 2 },
      data: {
        username: 'admin@example.com',
        changes: [{ path: 'lists.deny', kind: 'changed', before: '[]', after: `["${DENIED}"]` }],
      },
    });
    const labels = events.filter((e) => e.kind === 'feedback.labelled' || e.kind === 'feedback.removed');
    expect(labels.map((e) => [e.kind, e.outcome, e.subject])).toEqual([
      ['feedback.labelled', 'fraud', 'bob@example.com'],
      ['feedback.removed', 'none', 'bob@example.com'],
      ['feedback.labelled', 'fraud', 'bob@example.com'],
      ['feedback.labelled', 'legit', 'bob@example.com'],
    ]);
    expect(kind('shadow.changed').map((e) => e.action)).toEqual(['shadow.start', 'shadow.stop']);
    expect(kind('admin.read').some((e) => e.subject === 'bob@example.com' && e.action === 'users.events.read')).toBe(
      true,
    );
    expect(kind('admin.read').some((e) => e.action === 'policy.simulate')).toBe(true);
    expect((await reader.verifyAll(clock)).ok).toBe(true);
  });
});
