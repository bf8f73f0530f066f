import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import { isPseudonym } from '../../lambdas/core/risk/pseudonyms';
import type { UserProfile } from '../../lambdas/core/risk/types';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { profileKey } from '../../lambdas/adapters/dynamodb/items/profile';
import { EphemeralAppSecrets } from '../../lambdas/adapters/secrets-manager-app-secrets';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

const T0 = Date.parse('2026-12-02T07:00:00Z');
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

interface Request {
  readonly userId: string;
  readonly action: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly deviceId?: string;
}

const HOMES = [
  { ip: '81.167.144.58', ua: CHROME },
  { ip: '2.204.10.20', ua: FIREFOX },
  { ip: '12.45.10.20', ua: CHROME },
  { ip: '1.72.10.20', ua: SAFARI },
  { ip: '2a02:2f0c:8e10:4a01::1', ua: FIREFOX },
  { ip: '2a02:2f0c:8e10:4a02::1', ua: CHROME },
  { ip: '2a02:2f0c:8e10:4a03::1', ua: SAFARI },
  { ip: '2a02:2f0c:8e10:4a04::1', ua: CHROME },
];

/**
 * Rounds of ordinary traffic (users at home, later on second devices, abroad, in other spellings of their address),
 * then credential stuffing from one IPv4 address and from one IPv6 /64.
 */
function rounds(from: number, to: number): Request[] {
  const out: Request[] = [];
  for (let r = from; r < to; r++) {
    HOMES.forEach((home, u) => {
      const userId = `user-${u}@example.com`;
      let ip = home.ip;
      let ua = home.ua;
      let deviceId: string | undefined = `device-${u}`;
      if (r === 3 && u % 3 === 0) deviceId = `device-${u}-new`;
      if (r === 4 && u % 4 === 1) ip = HOMES[(u + 2) % HOMES.length]!.ip; // a trip
      if (r === 4 && u % 4 === 2) ua = SAFARI;
      if (r === 5 && u < 4) ip = `::ffff:${ip}`;
      if (r === 5 && u >= 4) ip = ip.replace(/::1$/, `::${(r * 16 + u).toString(16)}`); // same /64, new address
      if (r === 5 && u === 7) deviceId = undefined;
      out.push({
        userId,
        action: r % 2 === 0 ? 'auth.sign_in' : u % 2 ? 'payment.transfer' : 'profile.update',
        ip,
        userAgent: ua,
        ...(deviceId ? { deviceId } : {}),
      });
    });
  }
  return out;
}

function stuffing(): Request[] {
  const out: Request[] = [];
  for (let i = 0; i < 22; i++) {
    out.push({ userId: `victim-${i}@example.com`, action: 'auth.sign_in', ip: '185.220.101.7', userAgent: CHROME });
    out.push({
      userId: `victim6-${i}@example.com`,
      action: 'auth.sign_in',
      ip: `2a0b:f4c2:2::${(i + 1).toString(16)}:a`,
      userAgent: FIREFOX,
    });
  }
  return out;
}

interface Outcome {
  decision: string;
  score: number;
  reasons: { code: string; points: number; detail: string }[];
}

const POLICY: Policy = {
  ...defaultPolicy,
  // Lists are matched against the address, whatever is stored.
  lists: { allow: ['12.45.10.0/24'], deny: ['2a02:2f0c:8e10:4a04::/64'] },
};

describe('the privacy setting changes what is stored, not what is decided (DynamoDB Local)', () => {
  const client = testDynamoClient();
  afterAll(() => client.destroy());

  async function service(hashIdentifiers: boolean) {
    const tables = await createTestTables(client, hashIdentifiers ? 'priv-on' : 'priv-off');
    const policyStore = new DynamoDbPolicyStore(client, tables.policy);
    await policyStore.seedIfEmpty({
      version: 1,
      policy: { ...POLICY, privacy: { hashIdentifiers } },
      updatedAt: '2026-12-01T00:00:00Z',
      updatedBy: 'test',
    });
    let now = T0;
    const { handler } = composeDecide({
      dynamo: client,
      tables,
      clock: () => now,
      policyCacheMs: 0,
      secrets: new EphemeralAppSecrets((n) => randomBytes(n)),
    });
    let version = 1;
    return {
      tables,
      async run(requests: readonly Request[], stepMs = 37_000): Promise<Outcome[]> {
        const out: Outcome[] = [];
        for (const r of requests) {
          now += stepMs;
          const res = await handler(
            decisionEvent({
              userId: r.userId,
              action: r.action,
              context: { ip: r.ip, userAgent: r.userAgent, ...(r.deviceId ? { deviceId: r.deviceId } : {}) },
            }),
            {} as Context,
          );
          expect(res.statusCode).toBe(200);
          const body = JSON.parse(res.body ?? '{}') as Outcome;
          out.push({ decision: body.decision, score: body.score, reasons: body.reasons });
        }
        return out;
      },
      async switchTo(hashed: boolean) {
        version += 1;
        const applied = await policyStore.apply(
          {
            expectedVersion: version - 1,
            policy: { ...POLICY, version, privacy: { hashIdentifiers: hashed } },
            updatedAt: new Date(now).toISOString(),
            updatedBy: 'test',
            reason: 'switch privacy',
          },
          [],
        );
        expect(applied).toBe('applied');
      },
      async profile(userId: string): Promise<UserProfile> {
        const out = await client.send(
          new GetItemCommand({
            TableName: tables.risk,
            Key: { pk: { S: profileKey(userId).pk }, sk: { S: 'PROFILE' } },
          }),
        );
        return JSON.parse(out.Item!.profile!.S!) as UserProfile;
      },
    };
  }

  const identifierKeys = (p: UserProfile) =>
    [p.trusted, p.unverified].flatMap((m) =>
      [m.ips, m.prefixes, m.devices, m.uas].flatMap((x) => Object.keys(x ?? {})),
    );

  let offRun: Outcome[];

  it('gives the same decisions, scores and reasons on the same traffic with pseudonyms as with raw identifiers', async () => {
    const [off, on] = [await service(false), await service(true)];
    const all = async (svc: typeof off) => [...(await svc.run(rounds(0, 6))), ...(await svc.run(stuffing(), 2_000))];
    let onRun: Outcome[];
    [offRun, onRun] = await Promise.all([all(off), all(on)]);
    expect(onRun).toEqual(offRun);

    // The traffic exercises what pseudonyms could break: novelty at every level (network by prefix, device, user
    // agent, place), velocity by address and by /64, lists, learning.
    const codes = offRun.flatMap((o) => o.reasons.map((r) => r.code));
    for (const code of [
      'geo.new_network',
      'device.new',
      'device.ua_changed',
      'geo.new_country',
      'velocity.ip_many_users',
      'ip.allowlisted',
      'ip.denylisted',
    ]) {
      expect(codes).toContain(code);
    }
    const details = offRun.flatMap((o) => o.reasons.map((r) => r.detail));
    expect(details).toContain('21 distinct users from this IPv6 /64 in 10 min');
    expect(details).toContain('21 distinct users from this IP in 10 min');
    expect(new Set(offRun.map((o) => o.decision))).toEqual(new Set(['allow', 'step_up', 'deny']));
    // Familiar contexts are allowed without friction in both.
    expect(offRun.slice(8, 16).filter((o) => o.decision === 'allow').length).toBeGreaterThan(4);

    // The last user's home network is on the deny list: denied, never learned.
    for (let u = 0; u < HOMES.length - 1; u++) {
      expect(identifierKeys(await on.profile(`user-${u}@example.com`)).every(isPseudonym)).toBe(true);
      expect(identifierKeys(await off.profile(`user-${u}@example.com`)).some(isPseudonym)).toBe(false);
    }
  }, 120_000);

  it('converts profiles when switched on (familiarity carries over) and back when switched off', async () => {
    const svc = await service(false);
    const before = await svc.run(rounds(0, 3));
    expect(before).toEqual(offRun.slice(0, 24));

    await svc.switchTo(true);
    const after = await svc.run(rounds(3, 6));
    // Profiles were rewritten to pseudonyms on each user's next decision, so nobody looks new: the same decisions
    // and the same novelty reasons as without the switch. (Population counts of the identifier levels restart under
    // pseudonyms, so the population signal may differ.)
    const novelty = (o: Outcome) => o.reasons.map((r) => r.code).filter((c) => c !== 'network.rare');
    expect(after.map((o) => o.decision)).toEqual(offRun.slice(24, 48).map((o) => o.decision));
    expect(after.map(novelty)).toEqual(offRun.slice(24, 48).map(novelty));
    for (let u = 0; u < HOMES.length - 1; u++) {
      const profile = await svc.profile(`user-${u}@example.com`);
      expect(profile.pseudonymous).toBe(true);
      expect(identifierKeys(profile).every(isPseudonym)).toBe(true);
    }

    // Switched off again: the contexts users come back from get their raw keys back, so they stay familiar.
    await svc.switchTo(false);
    const home = HOMES.map((h, u) => ({
      userId: `user-${u}@example.com`,
      action: 'auth.sign_in',
      ip: h.ip,
      userAgent: h.ua,
      deviceId: `device-${u}`,
    }));
    const back = await svc.run(home);
    for (const o of back) {
      expect(o.reasons.map((r) => r.code)).not.toEqual(expect.arrayContaining(['device.new']));
      expect(o.reasons.map((r) => r.code)).not.toContain('device.ua_changed');
    }
    const user0 = await svc.profile('user-0@example.com');
    expect(user0.pseudonymous).toBeUndefined();
    expect(Object.keys(user0.trusted.ips)).toContain('81.167.144.58');
    expect(Object.keys(user0.trusted.devices)).toContain('device-0');
  }, 60_000);
});
