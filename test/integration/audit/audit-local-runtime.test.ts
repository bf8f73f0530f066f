import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { LocalRuntime } from '../../../lambdas/local/runtime';
import { appToken, startTestRuntime } from '../../support/local-runtime';

describe('audit API through the local runtime (gateway, JWT authorizer, wiring)', () => {
  let runtime: LocalRuntime;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  const userToken = async (username: string) => {
    const { users, webClient } = runtime.context.identities;
    const user = users.find((u) => u.username === username)!;
    return (await runtime.context.issuer.userTokens(user, webClient.clientId, Math.floor(Date.now() / 1000)))
      .AccessToken;
  };
  const get = (path: string, token: string) =>
    fetch(`${runtime.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('lets the auditor export and verify, records each read, and keeps everyone else out', async () => {
    const auditor = await userToken('auditor@example.com');
    const first = await get(`/v1/admin/audit?from=${today}`, auditor);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/x-ndjson');
    await first.text();

    const verify = await get('/v1/admin/audit/verify', auditor);
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ ok: true, breaks: [] });

    const second = await get(
      `/v1/admin/audit?from=${today}&to=${new Date(Date.now() + 60_000).toISOString()}`,
      auditor,
    );
    const events = (await second.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { event: AuditEvent }).event);
    const reads = events.filter((e) => e.kind === 'admin.read');
    expect(reads.map((e) => e.action)).toEqual(['audit.export', 'audit.verify']);
    expect(reads[0]!.data).toMatchObject({ username: 'auditor@example.com' });

    const alice = await get('/v1/admin/audit/verify', await userToken('alice@example.com'));
    expect(alice.status).toBe(403);
    // An app's client-credentials token is not a user-pool token for this API: the authorizer refuses it.
    const app = await get('/v1/admin/audit/verify', await appToken(runtime.url));
    expect(app.status).toBe(401);
  });
});
