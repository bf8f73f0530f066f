import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../bin/cli';
import { runDemo, type DemoResult } from '../../bin/commands/demo';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { AuditEvent } from '../../lambdas/core/audit/audit-event';
import { summarizeEvidence } from '../../lambdas/core/audit/evidence-report';
import { buildOpenApiDocument } from '../../lambdas/handlers/openapi/openapi-document';
import { findFreePort } from '../../lambdas/local/dynamodb-local';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';

/**
 * `npm run demo` against the real local runtime: the README's quick start is this story, so it must hold on a fresh
 * stack. Then the commands a newcomer runs next, pointed at this stack (on a free port) by STEPGATE_URL alone.
 */
describe('the demo story (npm run demo) on a fresh local runtime', () => {
  let runtime: LocalRuntime;
  let result: DemoResult;
  const printed: string[] = [];
  const codes = (d: { reasons: readonly { code: string }[] }) => d.reasons.map((r) => r.code);

  /** Runs the CLI in-process with STEPGATE_URL set (and nothing else pointing at the stack), capturing its output. */
  async function cli(args: string[], url = runtime.url): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const capture = (chunk: unknown) => {
      out.push(String(chunk));
      return true;
    };
    const saved = { url: process.env.STEPGATE_URL, endpoint: process.env.STEPGATE_DYNAMODB_ENDPOINT };
    process.env.STEPGATE_URL = url;
    delete process.env.STEPGATE_DYNAMODB_ENDPOINT;
    const spies = [
      jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void capture(`${a.join(' ')}\n`)),
      jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void capture(`${a.join(' ')}\n`)),
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    try {
      return { code: await main(args), out: out.join('') };
    } finally {
      for (const spy of spies) spy.mockRestore();
      if (saved.url === undefined) delete process.env.STEPGATE_URL;
      else process.env.STEPGATE_URL = saved.url;
      if (saved.endpoint !== undefined) process.env.STEPGATE_DYNAMODB_ENDPOINT = saved.endpoint;
    }
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    result = await runDemo({ url: runtime.url, env: {}, print: (line) => printed.push(line) });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('first records an ordinary history: three sign-ins from New York, each allowed', () => {
    expect(result.history.map((d) => d.decision)).toEqual(['allow', 'allow', 'allow']);
    expect(codes(result.history[0]!)).toContain('user.new');
    expect(result.history.slice(1).map((d) => d.score)).toEqual([0, 0]);
  });

  it('allows the familiar sign-in', () => {
    expect(result.familiar).toMatchObject({ decision: 'allow', score: 0 });
  });

  it('steps up the transfer from a new device in Berlin, with its reasons', () => {
    expect(result.stepUp.decision).toBe('step_up');
    expect(codes(result.stepUp)).toEqual(expect.arrayContaining(['device.new', 'geo.new_country', 'geo.new_network']));
    // Travel since the familiar sign-in 10 h earlier is possible: the story is a new device abroad, not a teleport.
    expect(codes(result.stepUp)).not.toContain('geo.impossible_travel');
    expect(result.stepUp.stepUp?.methods).toContain('email_otp');
    expect(result.stepUp.wwwAuthenticate).toMatch(/^Bearer error="insufficient_user_authentication"/);
  });

  it('passes the e-mail OTP through Cognito and redeems it: allow with step_up.satisfied', () => {
    expect(result.stepUpClaims).toMatchObject({ step_up_id: result.stepUp.stepUp!.id, step_up_amr: ['otp', 'email'] });
    expect(result.redeemed.decision).toBe('allow');
    expect(codes(result.redeemed)).toContain('step_up.satisfied');
    // Without the grant the same request would still be a step-up: it is the grant that lets it through.
    expect(result.redeemed.score).toBeGreaterThanOrEqual(25);
  });

  it('changes the policy as the admin and shows the diff; the trail verifies', () => {
    expect(result.policy).toEqual({
      from: 1,
      to: 2,
      changes: [{ path: 'levels.high.maxAgeSeconds', kind: 'changed', before: 300, after: 120 }],
    });
    expect(result.audit).toMatchObject({ ok: true, breaks: 0 });
    expect(result.audit.records).toBeGreaterThanOrEqual(10);
  });

  it('prints each step readably, and never a code or a token', async () => {
    const text = printed.join('\n');
    for (const heading of [/^History: /m, /^1\. /m, /^2\. /m, /^3\. /m, /^4\. /m, /^5\. /m, /^6\. /m]) {
      expect(text).toMatch(heading);
    }
    expect(text).toMatch(/→ step_up, score \d+/);
    expect(text).toMatch(/levels\.high\.maxAgeSeconds +changed +300 +120/);
    expect(text).toMatch(/audit trail VERIFIED/);
    expect(text).toMatch(/^The story held\./m);
    expect(text).not.toMatch(/eyJ[\w-]{10,}\./);
    const res = await fetch(`${runtime.url}/local/outbox?to=alice%40example.com`);
    const { messages } = (await res.json()) as { messages: { code: string }[] };
    for (const m of messages) expect(text).not.toContain(m.code);
  });

  it("is what the README's quick start shows, line for line (ids and times aside)", async () => {
    const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
    const block = /## Quick start[\s\S]*?```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const normal = (line: string) =>
      line
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>');
    const shown = block!.trimEnd().split('\n').map(normal);
    let at = 0;
    const actual = printed.map(normal);
    for (const line of shown) {
      const found = actual.indexOf(line, at);
      expect({ line, found: found >= 0 }).toEqual({ line, found: true });
      at = found + 1;
    }
    expect(shown.length).toBeGreaterThan(20);
  });

  it('exits 1 with a clear message when an answer is not the expected one (a second run on the same stack)', async () => {
    const { code, out } = await cli(['demo']);
    expect(code).toBe(1);
    expect(out).toMatch(/the story broke: .*already has a history on this stack/);
  });

  it('the evidence report counts the redemption and names the admin by username', async () => {
    const reader = new DynamoDbAuditReader({ client: runtime.context.dynamo, tableName: runtime.context.tables.audit });
    const events: AuditEvent[] = [];
    const page = await reader.exportRecords({
      from: Date.now() - 2 * 86_400_000,
      to: Date.now() + 60_000,
      limit: 1000,
    });
    for (const r of page.records) events.push(r.event);
    const summary = summarizeEvidence({ from: '', to: '' }, events, await reader.verifyAll(Date.now()));
    expect(summary.grants).toEqual({ issued: 1, redeemed: 1, redemptions: 1 });
    expect(summary.policyChanges.map((p) => p.who)).toEqual([
      `admin@example.com (user:${runtime.context.identities.users.find((u) => u.username === 'admin@example.com')!.sub})`,
    ]);
  });

  describe('STEPGATE_URL points every command at this stack (a free port, not the default)', () => {
    it('audit verify, export and report find its DynamoDB and tables through /local/info', async () => {
      expect(runtime.url).not.toBe('http://127.0.0.1:3000');
      const verify = await cli(['audit', 'verify']);
      expect(verify).toMatchObject({ code: 0, out: expect.stringMatching(/audit trail VERIFIED: \d+ chains/) });
      const today = new Date().toISOString().slice(0, 10);
      const exported = await cli(['audit', 'export', '--from', today, '--to', today]);
      expect(exported.code).toBe(0);
      expect(exported.out).toMatch(/"kind":"policy\.changed"/);
      const report = await cli(['audit', 'report', '--from', today, '--to', today]);
      expect(report.code).toBe(0);
      expect(report.out).toMatch(/grants redeemed\s+decisions allowed by a grant\n[- ]+\n1\s+1\s+1\s+0\s+1\s+1\s+1\n/);
    });

    it('admin commands sign in and read through the same URL', async () => {
      const history = await cli(['policy', 'history', '--user', 'admin@example.com', '--password', 'Admin-Local-1!']);
      expect(history.code).toBe(0);
      expect(history.out).toMatch(/^2 +\S+ +admin@example\.com +demo: a step-up serves high actions for 120 s/m);
    });

    it("says why the API refused a token, from the authorizer's www-authenticate header", async () => {
      const { issuer, identities } = runtime.context;
      const expired = await issuer.clientCredentials(identities.appClient, [], Math.floor(Date.now() / 1000) - 7200);
      const refused = await cli(['policy', 'history', '--token', expired]);
      expect(refused).toEqual({
        code: 1,
        out: 'stepgate policy: the API refused the token (401): the token has expired\n',
      });
    });

    it('a wrong URL is one clear line, not a stack trace', async () => {
      const closed = `http://127.0.0.1:${await findFreePort()}`; // nothing listens there
      const res = await cli(['audit', 'verify'], closed);
      expect(res.code).toBe(1);
      expect(res.out).toBe(
        `stepgate audit: cannot reach stepgate at ${closed}: is \`npm start\` running? (or set STEPGATE_URL)\n`,
      );
    });
  });

  it('serves its OpenAPI document at /openapi.json and where its data lives at /local/info', async () => {
    const doc = await (await fetch(`${runtime.url}/openapi.json`)).json();
    expect(doc).toEqual(buildOpenApiDocument({ serverUrl: runtime.url, tokenUrl: `${runtime.url}/oauth2/token` }));
    const info = await (await fetch(`${runtime.url}/local/info`)).json();
    expect(info).toEqual({
      service: 'stepgate-local',
      url: runtime.url,
      dynamodb: { endpoint: runtime.context.dynamoEndpoint },
      tables: runtime.context.tables,
      userPoolId: runtime.context.identities.userPoolId,
      clients: { app: 'local-app', web: 'local-web' },
    });
    expect(JSON.stringify(info)).not.toMatch(/secret|password/i);
  });
});
