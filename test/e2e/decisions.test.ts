import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { ACTIVE_SK, policyItem } from '../../lambdas/adapters/dynamodb/items/policy';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

// Real addresses that geoip-lite places in these cities (checked in test/unit/adapters).
const NEW_YORK = '12.45.10.20';
const TOKYO = '1.72.10.20';
const BERLIN = '2.204.10.20';
const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

describe('decision API through the local runtime', () => {
  let runtime: LocalRuntime;
  let token: string;
  let clock = Date.parse('2026-11-29T10:00:00Z');
  let tokenAt = 0;
  // The test moves the runtime's clock by days; tokens live an hour, so take a fresh one when it would be stale.
  const freshToken = async () => {
    if (clock - tokenAt > 30 * 60_000) {
      token = await appToken(runtime.url);
      tokenAt = clock;
    }
    return token;
  };
  const decide = async (body: unknown) => postJson(`${runtime.url}/v1/decisions`, await freshToken(), body);
  const codes = (res: { body: { reasons: { code: string }[] } }) => res.body.reasons.map((r) => r.code);

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => clock });
  });
  afterAll(() => runtime.stop());

  async function establish(userId: string, ip: string, userAgent: string, deviceId: string, times = 3) {
    for (let i = 0; i < times; i++) {
      clock += 60_000;
      const res = await decide({ userId, action: 'auth.sign_in', context: { ip, userAgent, deviceId } });
      expect(res.status).toBe(200);
    }
  }

  it('rejects calls without a valid token of the right client', async () => {
    expect((await postJson(`${runtime.url}/v1/decisions`, undefined, {})).status).toBe(401);
    expect((await postJson(`${runtime.url}/v1/decisions`, 'not-a-jwt', {})).status).toBe(401);
  });

  it('allows a familiar login and steps up a new device from a new country on payment.transfer', async () => {
    await establish('familiar@example.com', NEW_YORK, CHROME_MAC, 'dev-1', 4);
    clock += 3600_000;
    const familiar = await decide({
      userId: 'familiar@example.com',
      action: 'payment.transfer',
      context: { ip: NEW_YORK, userAgent: CHROME_MAC, deviceId: 'dev-1' },
    });
    expect(familiar.status).toBe(200);
    expect(familiar.body.decision).toBe('allow');
    expect(familiar.body.stepUp).toBeUndefined();

    clock += 24 * 3600_000;
    // A new laptop with the user's usual browser, abroad: a new device, country and network (AS number) is a
    // step-up; with a new browser on top, the default policy reaches the deny threshold of a high action.
    const stranger = await decide({
      userId: 'familiar@example.com',
      action: 'payment.transfer',
      context: { ip: BERLIN, userAgent: CHROME_MAC, deviceId: 'dev-2' },
    });
    expect(stranger.status).toBe(200);
    expect(stranger.body.decision).toBe('step_up');
    expect(codes(stranger)).toEqual(expect.arrayContaining(['device.new', 'geo.new_country', 'geo.new_network']));
    const reasons = stranger.body.reasons as { points: number }[];
    const sum = reasons.reduce((s, r) => s + r.points, 0);
    expect(stranger.body.score).toBe(Math.max(0, Math.min(100, Math.round(sum))));
    expect(stranger.body.stepUp).toMatchObject({ acrValues: [expect.any(String)], methods: expect.any(Array) });
    expect(stranger.body.wwwAuthenticate).toMatch(/^Bearer error="insufficient_user_authentication"/);
  });

  it('names a missing user agent device.ua_missing, and keeps device.cli for curl and python-requests', async () => {
    clock += 60_000;
    const context = { ip: NEW_YORK, deviceId: 'dev-ua' };
    const missing = await decide({ userId: 'ua@example.com', action: 'profile.view', context });
    expect(missing.body.reasons).toContainEqual({
      code: 'device.ua_missing',
      points: 20,
      detail: 'no user agent sent',
    });
    expect(codes(missing)).not.toContain('device.cli');
    for (const userAgent of ['curl/8.4.0', 'python-requests/2.31.0']) {
      const cli = await decide({
        userId: 'ua@example.com',
        action: 'profile.view',
        context: { ...context, userAgent },
      });
      expect(codes(cli)).toContain('device.cli');
      expect(codes(cli)).not.toContain('device.ua_missing');
    }
  });

  it('flags New York then Tokyo ten minutes later as impossible travel', async () => {
    await establish('traveller@example.com', NEW_YORK, CHROME_MAC, 'dev-t');
    clock += 10 * 60_000;
    const res = await decide({
      userId: 'traveller@example.com',
      action: 'auth.sign_in',
      context: { ip: TOKYO, userAgent: CHROME_MAC, deviceId: 'dev-t' },
    });
    expect(res.status).toBe(200);
    expect(codes(res)).toContain('geo.impossible_travel');
    expect(res.body.decision).not.toBe('allow');
  });

  it('raises velocity.ip_many_users when 40 users come from one IP within a minute', async () => {
    const ip = '81.2.69.160';
    let last: Awaited<ReturnType<typeof decide>> | undefined;
    for (let i = 0; i < 40; i++) {
      clock += 1000;
      last = await decide({
        userId: `stuffed-${i}@example.com`,
        action: 'auth.sign_in',
        context: { ip, userAgent: FIREFOX_WIN },
      });
      expect(last.status).toBe(200);
    }
    expect(codes(last!)).toContain('velocity.ip_many_users');
    expect(last!.body.decision).not.toBe('allow');
  });

  it('denies a deny-listed IP once the policy lists it, within the policy cache time', async () => {
    const policy = structuredClone(defaultPolicy);
    policy.version = 2;
    policy.lists.deny = ['198.18.0.0/15', '2001:db8:bad::/48', '45.33.32.156'];
    await runtime.context.dynamo.send(
      new PutItemCommand({
        TableName: runtime.context.tables.policy,
        Item: policyItem(
          { version: 2, policy, updatedAt: new Date(clock).toISOString(), updatedBy: 'test' },
          ACTIVE_SK,
        ),
      }),
    );
    clock += 6000; // past the 5 s policy cache
    const res = await decide({
      userId: 'someone@example.com',
      action: 'profile.view',
      context: { ip: '45.33.32.156' },
    });
    expect(res.body.decision).toBe('deny');
    expect(res.body.policyVersion).toBe(2);
    expect(codes(res)).toContain('ip.denylisted');
  });

  it('answers bad bodies with a 400 naming the field', async () => {
    const base = { userId: 'a@example.com', action: 'auth.sign_in', context: { ip: NEW_YORK } };
    const cases: [unknown, string][] = [
      [{ ...base, userId: undefined }, 'userId'],
      [{ ...base, userId: 42 }, 'userId'],
      [{ ...base, action: 'no.such_action' }, 'action'],
      [{ ...base, context: { ip: '999.1.1.1' } }, 'context.ip'],
      [{ ...base, context: { ip: NEW_YORK, timestamp: 'yesterday' } }, 'context.timestamp'],
      [{ ...base, context: { ip: NEW_YORK, timestamp: '2020-01-01T00:00:00Z' } }, 'context.timestamp'],
      [{ ...base, isAdmin: true }, 'isAdmin'],
      [{ ...base, context: undefined }, 'context'],
    ];
    for (const [body, field] of cases) {
      const res = await decide(body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.error.message).toContain(field);
    }
    const malformed = await postJson(`${runtime.url}/v1/decisions`, await freshToken(), '{"userId":');
    expect(malformed.status).toBe(400);
    const huge = await decide({ ...base, userId: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('is idempotent on requestId and refuses a reused requestId with another body', async () => {
    const body = { userId: 'idem@example.com', action: 'auth.sign_in', context: { ip: NEW_YORK }, requestId: 'req-1' };
    const first = await decide(body);
    const second = await decide(body);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const reused = await decide({ ...body, action: 'profile.view' });
    expect(reused.status).toBe(409);
  });

  it('records an outcome once and refuses a different one', async () => {
    const first = await decide({ userId: 'out@example.com', action: 'auth.sign_in', context: { ip: NEW_YORK } });
    const url = `${runtime.url}/v1/decisions/${first.body.decisionId}/outcome`;
    await freshToken();
    expect((await postJson(url, token, { outcome: 'failed' })).status).toBe(200);
    expect((await postJson(url, token, { outcome: 'failed' })).status).toBe(200);
    expect((await postJson(url, token, { outcome: 'succeeded' })).status).toBe(409);
    expect((await postJson(url, token, { outcome: 'maybe' })).status).toBe(400);
    expect((await postJson(`${runtime.url}/v1/decisions/nope/outcome`, token, { outcome: 'failed' })).status).toBe(404);
  });
});
