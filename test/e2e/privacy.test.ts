import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseUncached } from '../../lambdas/adapters/ua-parser-device-parser';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import type { SimulationReport } from '../../lambdas/core/simulation/simulation';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

/**
 * `privacy.hashIdentifiers` end to end: every kind of record the service writes (decisions and their replay input,
 * profiles, velocity and population counters, pending step-ups and grants, challenges, idempotency records, audit
 * records, policy versions) is produced through the local runtime, then every table is scanned, every attribute
 * decoded, for the raw identifiers the traffic carried. With the setting off the same scan finds them, so the scan
 * is shown to see what it looks for.
 */

const ALICE = 'alice@example.com';
const IP4 = '2.204.10.20'; // Berlin in geoip-lite
const IP6 = '2a02:2f0c:8e10:4a00:1c2d:3e4f:5a6b:7c8d';
const DENIED_IP = '198.51.100.23';
const DEVICE = 'scan-device-4f1e9b';
const OTHER_DEVICE = 'scan-device-77aa02';
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.51';
// An Electron app: flagged as automation-capable on every request, so payment.transfer keeps stepping up after the
// step-up taught its context, and the grant (not familiarity) is what turns it into an allow.
const OTHER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) quill-wallet/1.4.0 Chrome/120.0.6099.291 Electron/28.2.0 Safari/537.36';

/** What must never be stored with the setting on: each identifier in every textual form the service derives. */
const IDENTIFIERS: Record<string, string> = {
  ipv4: IP4,
  ipv4Prefix: '2.204.10.0/24',
  ipv6: IP6,
  ipv6Prefix: '2a02:2f0c:8e10::/48',
  ipv6Network: '2a02:2f0c:8e10:4a00::/64',
  deniedIp: DENIED_IP,
  deniedPrefix: '198.51.100.0/24',
  device: DEVICE,
  otherDevice: OTHER_DEVICE,
  userAgent: UA,
  otherUserAgent: OTHER_UA,
  // Without the setting a user agent is stored as an unkeyed hash: anyone can compute it from a guessed string.
  userAgentKey: parseUncached(UA).uaKey!,
  otherUserAgentKey: parseUncached(OTHER_UA).uaKey!,
};

/** Every text an attribute holds or decodes to: nested JSON, base64 and compressed blobs included. */
function texts(value: AttributeValue, out: string[] = []): string[] {
  if (value.S !== undefined) decodeText(value.S, out);
  else if (value.N !== undefined) out.push(value.N);
  else if (value.B !== undefined) decodeBytes(Buffer.from(value.B), out);
  else if (value.SS) for (const s of value.SS) decodeText(s, out);
  else if (value.NS) out.push(...value.NS);
  else if (value.BS) for (const b of value.BS) decodeBytes(Buffer.from(b), out);
  else if (value.L) for (const v of value.L) texts(v, out);
  else if (value.M)
    for (const [k, v] of Object.entries(value.M)) {
      out.push(k);
      texts(v, out);
    }
  return out;
}

function decodeText(s: string, out: string[], depth = 0): void {
  out.push(s);
  if (depth > 3) return;
  try {
    const parsed: unknown = JSON.parse(s);
    // Strings inside JSON are already in `s`, but escaped: walk them unescaped too.
    const walk = (v: unknown): void => {
      if (typeof v === 'string') decodeText(v, out, depth + 1);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          out.push(k);
          walk(x);
        }
    };
    walk(parsed);
  } catch {
    // not JSON
  }
  if (s.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    decodeBytes(Buffer.from(s, s.includes('+') || s.includes('/') ? 'base64' : 'base64url'), out, depth + 1);
  }
  // Dot-separated tokens (JWTs, sealed values) hold base64url parts.
  if (s.includes('.'))
    for (const part of s.split('.')) if (part.length >= 16 && part !== s) decodeText(part, out, depth + 1);
}

function decodeBytes(bytes: Buffer, out: string[], depth = 0): void {
  out.push(bytes.toString('utf8'), bytes.toString('latin1'));
  for (const inflate of [gunzipSync, inflateSync, inflateRawSync, brotliDecompressSync]) {
    try {
      decodeText(inflate(bytes).toString('utf8'), out, depth + 1);
    } catch {
      // not this compression
    }
  }
}

async function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

interface Finding {
  readonly identifier: string;
  readonly table: string;
  readonly item: string;
  readonly attribute: string;
}

async function scanAll(runtime: LocalRuntime): Promise<{ items: number; findings: Finding[]; corpus: string }> {
  const { dynamo, tables } = runtime.context;
  const findings: Finding[] = [];
  let items = 0;
  let corpus = '';
  for (const [name, table] of Object.entries(tables)) {
    for (const item of await scanTable(dynamo, table)) {
      items++;
      for (const [attribute, value] of Object.entries(item)) {
        const all = [attribute, ...texts(value)].join('\n');
        corpus += `${all}\n`;
        const haystack = all.toLowerCase();
        for (const [identifier, needle] of Object.entries(IDENTIFIERS)) {
          if (haystack.includes(needle.toLowerCase())) {
            findings.push({ identifier, table: name, item: `${item.pk?.S ?? ''} ${item.sk?.S ?? ''}`, attribute });
          }
        }
      }
    }
  }
  return { items, findings, corpus };
}

describe.each([
  ['on', true],
  ['off', false],
])('privacy.hashIdentifiers %s: what the tables hold after a full run of the service', (_label, hashIdentifiers) => {
  let runtime: LocalRuntime;
  let cognito: CognitoIdentityProviderClient;
  const clock = { now: Date.parse('2026-12-01T09:00:00Z') };
  let app: string;
  let admin: string;
  let auditor: string;
  let alice: string;

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.startsWith('application/json') === true;
    return { status: res.status, body: json && text ? JSON.parse(text) : text };
  };
  const decide = async (body: Record<string, unknown>) => {
    clock.now += 20_000;
    const res = await postJson(`${runtime.url}/v1/decisions`, app, { userId: ALICE, ...body });
    expect(res.status).toBe(200);
    return res.body as {
      decisionId: string;
      decision: string;
      reasons: { code: string; detail: string }[];
      stepUp?: { id: string };
    };
  };
  const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => clock.now });
    cognito = new CognitoIdentityProviderClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const { users, webClient } = runtime.context.identities;
    const tokenOf = async (name: string) =>
      (
        await runtime.context.issuer.userTokens(
          users.find((u) => u.username === name)!,
          webClient.clientId,
          Math.floor(clock.now / 1000),
        )
      ).AccessToken;
    admin = await tokenOf('admin@example.com');
    auditor = await tokenOf('auditor@example.com');
    alice = await tokenOf(ALICE);
    app = await appToken(runtime.url);

    const current = await call('GET', '/v1/admin/policy', admin);
    const policy = structuredClone(current.body.policy) as Policy;
    policy.privacy.hashIdentifiers = hashIdentifiers;
    policy.lists.deny = ['198.51.0.0/16'];
    const put = await call(
      'PUT',
      '/v1/admin/policy',
      admin,
      { policy, reason: 'privacy test' },
      {
        'if-match': `"${current.body.version}"`,
      },
    );
    expect(put.status).toBe(200);
    clock.now += 10_000; // past the decide path's policy cache
  });
  afterAll(async () => {
    cognito?.destroy();
    await runtime?.stop();
  });

  it('decides, steps up through Cognito, redeems, denies and audits', async () => {
    // allow: a first sign-in teaches the profile (and the population counters).
    const first = await decide({ action: 'auth.sign_in', context: { ip: IP4, userAgent: UA, deviceId: DEVICE } });
    expect(first.decision).toBe('allow');
    const again = await decide({
      action: 'auth.sign_in',
      requestId: 'scan-req-1',
      context: { ip: `::ffff:${IP4}`, userAgent: UA, deviceId: DEVICE },
    });
    expect(again.decision).toBe('allow');
    // The reported outcome of a sign-in counts as a failure.
    expect(
      (await postJson(`${runtime.url}/v1/decisions/${again.decisionId}/outcome`, app, { outcome: 'failed' })).status,
    ).toBe(200);

    // IPv6: counted by address and by /64; whatever is decided, the context is recorded.
    const v6 = await decide({ action: 'auth.sign_in', context: { ip: IP6, userAgent: UA, deviceId: DEVICE } });
    // step_up from a new device and user agent, stored as a pending step-up.
    const risky = { action: 'payment.transfer', context: { ip: IP4, userAgent: OTHER_UA, deviceId: OTHER_DEVICE } };
    const stepUp = await decide(risky);
    expect(stepUp.decision).toBe('step_up');
    expect(codes(stepUp)).toContain('device.new');

    // The step-up through the local Cognito: context round, code from the outbox, post-authentication learning.
    const metadata = { stepUpId: stepUp.stepUp!.id, accessToken: alice, method: 'email_otp' };
    const started = await cognito.send(
      new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: 'local-web', AuthParameters: { USERNAME: ALICE } }),
    );
    const respond = (session: string | undefined, answer: string) =>
      cognito.send(
        new RespondToAuthChallengeCommand({
          ChallengeName: 'CUSTOM_CHALLENGE',
          ClientId: 'local-web',
          Session: session,
          ChallengeResponses: { USERNAME: ALICE, ANSWER: answer },
          ClientMetadata: metadata,
        }),
      );
    const codeRound = await respond(started.Session, 'context');
    expect(codeRound.ChallengeParameters?.step).toBe('code');
    const outbox = (await (await fetch(`${runtime.url}/local/outbox?to=${ALICE}`)).json()) as {
      messages: { code: string }[];
    };
    const done = await respond(codeRound.Session, outbox.messages.at(-1)!.code);
    expect(done.AuthenticationResult?.AccessToken).toBeDefined();

    // Post authentication learned the step-up's context: the device is no longer new.
    const learned = await decide(risky);
    expect(learned.decision).toBe('step_up');
    expect(codes(learned)).not.toContain('device.new');
    // The grant, redeemed on the same device.
    const redeemed = await decide({ ...risky, stepUpId: stepUp.stepUp!.id });
    expect(redeemed.decision).toBe('allow');
    expect(codes(redeemed)).toContain('step_up.satisfied');

    // deny: the deny list is matched against the address, which is not what is stored.
    const denied = await decide({
      action: 'auth.sign_in',
      context: { ip: DENIED_IP, userAgent: UA, deviceId: DEVICE },
    });
    expect(denied.decision).toBe('deny');
    expect(codes(denied)).toContain('ip.denylisted');

    // Reasons never carry an identifier.
    for (const d of [first, again, v6, stepUp, learned, redeemed, denied]) {
      for (const r of d.reasons)
        for (const needle of Object.values(IDENTIFIERS)) expect(r.detail).not.toContain(needle);
    }

    // An admin read of alice's history (audited) shows what an operator sees: pseudonyms, or the raw context.
    const history = await call('GET', `/v1/admin/users/${encodeURIComponent(ALICE)}/events`, auditor);
    expect(history.status).toBe(200);
    const contexts = (history.body.events as { context: { ip: string; deviceId?: string; country?: string } }[]).map(
      (e) => e.context,
    );
    expect(contexts.length).toBeGreaterThanOrEqual(6);
    for (const c of contexts) {
      if (hashIdentifiers) {
        expect(c.ip).toMatch(/^h\.ip\.[\w-]{22}$/);
        if (c.deviceId !== undefined) expect(c.deviceId).toMatch(/^h\.dev\.[\w-]{22}$/);
      } else {
        expect([IP4, IP6, DENIED_IP, `::ffff:${IP4}`]).toContain(c.ip);
      }
    }
    // Coarse attributes stay for explanations either way.
    expect(contexts.map((c) => c.country)).toContain('DE');
    const window = `from=${new Date(clock.now - 3_600_000).toISOString()}&to=${new Date(clock.now + 1).toISOString()}`;
    const audit = await call('GET', `/v1/admin/audit?${window}&subject=${encodeURIComponent(ALICE)}`, auditor);
    expect(audit.status).toBe(200);
  });

  it('replays pseudonymized records (simulate, shadow) as they were decided', async () => {
    const from = new Date(clock.now - 3_600_000).toISOString();
    const to = new Date(clock.now + 1).toISOString();
    const same = await call('POST', '/v1/admin/policy/simulate', auditor, { from, to });
    expect(same.status).toBe(200);
    const report = same.body.report as SimulationReport;
    expect(report.events.compared).toBeGreaterThanOrEqual(7);
    expect(report.events.skipped.notReplayable).toBe(0);
    expect(report.changed).toBe(0);
    expect(report.scoreChanged).toBe(0);

    // Without the deny entry the denied sign-in moves: the record knows the entry matched, not the address.
    const candidate = structuredClone((await call('GET', '/v1/admin/policy', admin)).body.policy) as Policy;
    candidate.lists.deny = [];
    const lifted = (await call('POST', '/v1/admin/policy/simulate', auditor, { policy: candidate, from, to })).body
      .report as SimulationReport;
    expect(lifted.transitions).toMatchObject({ deny: { allow: 1 } });

    // Shadow mode scores live decisions under the candidate, alongside.
    expect((await call('POST', '/v1/admin/shadow', admin, { policy: candidate, reason: 'lift' })).status).toBe(201);
    clock.now += 10_000;
    const shadowFrom = new Date(clock.now).toISOString();
    await decide({ action: 'auth.sign_in', context: { ip: DENIED_IP, userAgent: UA, deviceId: DEVICE } });
    await decide({ action: 'auth.sign_in', context: { ip: IP4, userAgent: UA, deviceId: DEVICE } });
    expect((await call('POST', '/v1/admin/shadow/stop', admin, { reason: 'done' })).status).toBe(200);
    const shadow = (await call('GET', '/v1/admin/shadow/report', auditor)).body.report as SimulationReport;
    expect(shadow.events.compared).toBe(2);
    expect(shadow.transitions).toMatchObject({ deny: { allow: 1 } });
    const replayed = (
      await call('POST', '/v1/admin/policy/simulate', auditor, {
        policy: candidate,
        from: shadowFrom,
        to: new Date(clock.now + 1).toISOString(),
      })
    ).body.report as SimulationReport;
    expect(replayed.transitions).toEqual(shadow.transitions);
  });

  it(
    hashIdentifiers
      ? 'stores no raw IP, prefix, device id or user agent in any table'
      : 'stores them, so the scan can see what it looks for',
    async () => {
      const { items, findings, corpus } = await scanAll(runtime);
      expect(items).toBeGreaterThan(30);
      if (hashIdentifiers) expect(findings).toEqual([]);
      // What the run must have written, in some form: the scan saw every kind of record.
      for (const pk of [
        'USER#alice@example.com',
        'DECISION#',
        'STEPUP#',
        'CHALLENGE#',
        'VEL#IP#',
        'VEL#NET#',
        'GLOBAL#ip#',
        'REQ#',
      ]) {
        expect(corpus).toContain(pk);
      }
      if (hashIdentifiers) {
        for (const tag of ['h.ip.', 'h.net.', 'h.dev.', 'h.ua.']) expect(corpus).toContain(tag);
      } else {
        const found = new Set(findings.map((f) => f.identifier));
        for (const identifier of [
          'ipv4',
          'ipv4Prefix',
          'ipv6',
          'ipv6Prefix',
          'deniedIp',
          'device',
          'otherDevice',
          'userAgentKey',
        ]) {
          expect(found).toContain(identifier);
        }
        // Even with the setting off, the velocity counters are keyed by pseudonyms and no raw user agent is kept.
        expect(findings.filter((f) => f.item.startsWith('VEL#'))).toEqual([]);
        expect(found).not.toContain('userAgent');
      }
    },
  );
});
