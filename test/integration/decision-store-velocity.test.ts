import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { RequestFeatures, VelocityCounts } from '../../lambdas/core/risk/types';
import { DynamoDbDecisionStore } from '../../lambdas/adapters/dynamodb/dynamodb-decision-store';
import { DynamoDbFailureCounter } from '../../lambdas/adapters/dynamodb/dynamodb-failure-counter';
import { pseudonymizerFrom } from '../../lambdas/adapters/hmac-pseudonymizer';
import { EphemeralAppSecrets } from '../../lambdas/adapters/secrets-manager-app-secrets';
import { parseIp } from '../../lambdas/core/net/ip';
import { RequestIdentifiers } from '../../lambdas/handlers/request-identifiers';
import type { VelocityKeys } from '../../lambdas/ports/decision-store';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../../lambdas/contracts/tables';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

const MINUTE = 60_000;
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
// 10:00:30 UTC: half-way through a minute, at the start of both an hour and a ten-minute bucket.
const T0 = Date.parse('2026-11-29T10:00:30Z');

/**
 * The velocity windows as the store keeps them (one item per user-hour and per IP-ten-minutes, read as current +
 * previous bucket), driven through the real decide handler and read back with `load`, across bucket edges.
 */
describe('decision store velocity counters against DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let store: DynamoDbDecisionStore;
  let now = T0;
  let handler: ReturnType<typeof composeDecide>['handler'];
  // The handler's key, so that reads here find the counters it keyed.
  const secrets = new EphemeralAppSecrets((n) => randomBytes(n));
  const pseudonymizer = pseudonymizerFrom(secrets);

  beforeAll(async () => {
    tables = await createTestTables(client, 'velocity');
    await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: '2026-11-29T00:00:00Z',
      updatedBy: 'test',
    });
    ({ handler } = composeDecide({ dynamo: client, tables, clock: () => now, secrets }));
    store = new DynamoDbDecisionStore(client, tables, { globalKeys: () => ({}) });
  });
  afterAll(() => client.destroy());

  const decide = async (userId: string, ip: string, at: number) => {
    now = at;
    const res = await handler(
      decisionEvent({ userId, action: 'profile.view', context: { ip, deviceId: 'd-1' } }),
      {} as Context,
    );
    expect(res.statusCode).toBe(200);
  };
  const features = (ip: string): RequestFeatures => ({
    ip,
    geo: { kind: 'public' },
    device: { deviceType: 'desktop', isBot: false, isHeadless: false, isCli: false },
  });
  const velocityKeys = async (ip: string): Promise<VelocityKeys> =>
    new RequestIdentifiers(await pseudonymizer()).identify(features(ip), parseIp(ip)!).velocityKeys;
  const velocity = async (userId: string, ip: string, at: number): Promise<VelocityCounts> =>
    (
      await store.load({
        userId,
        features: features(ip),
        velocityKeys: await velocityKeys(ip),
        includePolicy: false,
        now: at,
      })
    ).velocity;

  it('counts a user and an address per minute, sliding into the previous minute, across hour edges', async () => {
    const user = 'burst@example.com';
    const ip = '198.51.100.7';
    // Three requests in 09:59, two in 10:00: the minute edge is also an hour and a ten-minute edge.
    const at10h00m05 = T0 - 25_000;
    for (const at of [T0 - MINUTE, T0 - MINUTE + 1, T0 - MINUTE + 2, at10h00m05, at10h00m05 + 1]) {
      await decide(user, ip, at);
    }
    // At 10:00:15 the previous minute weighs three quarters: 2 + 3 × 0.75 = 4.25 → 4.
    const v = await velocity(user, ip, T0 - 15_000);
    expect(v.userRequests).toBe(4);
    expect(v.ipRequests).toBe(4);
    expect(v.ipDistinctUsers).toBe(1);
    // Two minutes later both minutes are outside the window.
    const later = await velocity(user, ip, T0 + 2 * MINUTE + 30_000);
    expect(later.userRequests).toBe(0);
    expect(later.ipRequests).toBe(0);
    // The distinct users of an address stay for ten to twenty minutes.
    expect(later.ipDistinctUsers).toBe(1);
    expect((await velocity(user, ip, T0 + 21 * MINUTE)).ipDistinctUsers).toBe(0);
  });

  it('counts the distinct users of an address over the current and previous ten minutes, in every spelling', async () => {
    const ip = '203.0.113.99';
    await decide('a@example.com', ip, T0 + 5 * MINUTE);
    await decide('b@example.com', `::ffff:${ip}`, T0 + 9 * MINUTE);
    await decide('a@example.com', ip, T0 + 11 * MINUTE); // next bucket, same user
    await decide('c@example.com', '::FFFF:cb00:7163', T0 + 12 * MINUTE);
    const v = await velocity('d@example.com', ip, T0 + 12 * MINUTE + 1);
    expect(v.ipDistinctUsers).toBe(3);
    expect(v.userRequests).toBe(0);
    expect(v.ipRequests).toBe(1);
  });

  it('keeps failed sign-ins in the same hourly item as the user request counts', async () => {
    const user = 'fails@example.com';
    await decide(user, '192.0.2.10', T0 + 30 * MINUTE);
    const failures = new DynamoDbFailureCounter(client, tables);
    for (let i = 0; i < 4; i++) await failures.recordFailure(user, 'signIns', T0 + 30 * MINUTE + i);
    const v = await velocity(user, '192.0.2.10', T0 + 30 * MINUTE + 10);
    expect(v.userFailedSignIns).toBe(4);
    expect(v.userRequests).toBe(1);
    const items = await client.send(
      new ScanCommand({
        TableName: tables.risk,
        FilterExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `VEL#U#${user}` } },
      }),
    );
    expect(items.Items).toHaveLength(1);
    expect(items.Items?.[0]?.signIns?.N).toBe('4');
  });

  it('counts a reported failed sign-in against the address its decision came from', async () => {
    // The decision record holds the raw address (privacy off); the address counters are keyed by its pseudonym.
    const user = 'typo@example.com';
    const ip = '203.0.113.77';
    const at = T0 + 40 * MINUTE;
    now = at;
    const res = await handler(
      decisionEvent({ userId: user, action: 'auth.sign_in', context: { ip, deviceId: 'd-1' } }),
      {} as Context,
    );
    const { decisionId } = JSON.parse(String(res.body)) as { decisionId: string };
    const outcome = decisionEvent({ outcome: 'failed' });
    const route = 'POST /v1/decisions/{decisionId}/outcome';
    const failed = await handler(
      {
        ...outcome,
        routeKey: route,
        rawPath: `/v1/decisions/${decisionId}/outcome`,
        pathParameters: { decisionId },
        requestContext: { ...outcome.requestContext, routeKey: route },
      },
      {} as Context,
    );
    expect(failed.statusCode).toBe(200);
    expect((await velocity('someone-else@example.com', ip, at + 1000)).ipFailedSignIns).toBe(1);
    expect((await velocity(user, ip, at + 1000)).failedSignInFromIp).toBe(true);
    expect((await velocity(user, '203.0.113.78', at + 1000)).failedSignInFromIp).toBeUndefined();
  });

  it('notes a reported failed sign-in on the profile: the pending address it came from is tainted', async () => {
    // Trust cannot be poisoned quietly: an address first seen around failed attempts must never become familiar by
    // repetition. The failure goes on the profile item (the decision path owns the document), and the next read
    // folds it in.
    const user = 'poisoner@example.com';
    const home = '198.51.100.20';
    const intruder = '203.0.113.90';
    const at = T0 + 45 * MINUTE;
    await decide(user, home, at);
    now = at + 1000;
    const res = await handler(
      decisionEvent({ userId: user, action: 'auth.sign_in', context: { ip: intruder, deviceId: 'd-1' } }),
      {} as Context,
    );
    const { decisionId } = JSON.parse(String(res.body)) as { decisionId: string };
    const outcome = decisionEvent({ outcome: 'failed' });
    const route = 'POST /v1/decisions/{decisionId}/outcome';
    now = at + 2000;
    const failed = await handler(
      {
        ...outcome,
        routeKey: route,
        rawPath: `/v1/decisions/${decisionId}/outcome`,
        pathParameters: { decisionId },
        requestContext: { ...outcome.requestContext, routeKey: route },
      },
      {} as Context,
    );
    expect(failed.statusCode).toBe(200);
    const { profile } = await store.load({
      userId: user,
      features: features(home),
      velocityKeys: await velocityKeys(home),
      includePolicy: false,
      now: at + 3000,
    });
    expect(profile?.lastFailure).toBe(at + 2000);
    const pendingIps = profile?.pending?.ips ?? {};
    expect(Object.keys(pendingIps)).toContain(intruder);
    expect(pendingIps[intruder]?.tainted).toBe(true);
    expect(Object.values(pendingIps).filter((s) => s.tainted === true)).toHaveLength(1);
  });

  it('lets requests in flight at the same moment count each other (increment and read are one step)', async () => {
    const ip = '198.51.100.150';
    const at = T0 + 50 * MINUTE + 5_000; // early in a minute whose predecessor saw no traffic
    const burst = 16;
    const keysOfIp = await velocityKeys(ip);
    const load = (userId: string) =>
      store.load({
        userId,
        features: features(ip),
        velocityKeys: keysOfIp,
        includePolicy: false,
        now: at,
        count: true,
      });
    // Credential stuffing in one burst: 16 users from one address at once.
    const seen = await Promise.all(Array.from({ length: burst }, (_, i) => load(`stuffed-${i}@example.com`)));
    // Each request saw the ones counted before it, in some order: 0, 1, …, 15, with no two alike. Reading before
    // counting would have shown most of them 0.
    const order = Array.from({ length: burst }, (_, i) => i);
    expect(seen.map((s) => s.velocity.ipDistinctUsers).sort((a, b) => a - b)).toEqual(order);
    expect(seen.map((s) => s.velocity.ipRequests).sort((a, b) => a - b)).toEqual(order);
    // One user hammering in parallel: the same for the per-user count.
    const mine = await Promise.all(Array.from({ length: burst }, () => load('hammer@example.com')));
    expect(mine.map((s) => s.velocity.userRequests).sort((a, b) => a - b)).toEqual(order);
    // A read that does not count sees all of them and adds nothing.
    const after = await store.load({
      userId: 'hammer@example.com',
      features: features(ip),
      velocityKeys: keysOfIp,
      includePolicy: false,
      now: at,
    });
    expect(after.velocity).toMatchObject({ userRequests: burst, ipRequests: 2 * burst, ipDistinctUsers: burst + 1 });
    const again = await store.load({
      userId: 'hammer@example.com',
      features: features(ip),
      velocityKeys: keysOfIp,
      includePolicy: false,
      now: at,
    });
    expect(again.velocity.userRequests).toBe(burst);
  });

  it('counts a decision once, however often it is retried on a changed profile', async () => {
    const user = 'retried@example.com';
    const ip = '81.167.144.58'; // located (a reserved address would score too high to teach)
    const at = T0 + 55 * MINUTE;
    let reads = 0;
    const { handler: counted } = composeDecide({
      dynamo: client,
      tables,
      clock: () => at,
      onRoundTrip: (kind) => {
        if (kind === 'read') reads++;
      },
    });
    // Parallel sign-ins of a new user (a browser, a located address: low enough to teach) all teach the same profile: all but one lose the revision check and decide
    // again on fresh state.
    const parallel = 6;
    const answers = await Promise.all(
      Array.from({ length: parallel }, () =>
        counted(
          decisionEvent({ userId: user, action: 'auth.sign_in', context: { ip, userAgent: CHROME, deviceId: 'd-1' } }),
          {} as Context,
        ),
      ),
    );
    for (const answer of answers) expect(answer.statusCode).toBe(200);
    expect(reads).toBeGreaterThan(parallel); // retries happened
    expect((await velocity(user, ip, at + 1)).userRequests).toBe(parallel);
  });

  it('sends one counter update per user and one per address with each decision', async () => {
    const before = await client.send(new ScanCommand({ TableName: tables.risk, Select: 'COUNT' }));
    await decide('single@example.com', '192.0.2.200', T0 + 40 * MINUTE);
    const velocityItems = await client.send(
      new ScanCommand({
        TableName: tables.risk,
        FilterExpression: 'begins_with(pk, :vel) AND (contains(pk, :user) OR contains(pk, :ip) OR contains(pk, :raw))',
        ExpressionAttributeValues: {
          ':vel': { S: 'VEL#' },
          ':user': { S: 'single@example.com' },
          ':ip': { S: (await velocityKeys('192.0.2.200')).ip },
          ':raw': { S: '192.0.2.200' },
        },
      }),
    );
    // The address is counted under its keyed pseudonym, never under the address itself.
    expect(velocityItems.Items?.map((i) => i.pk?.S).sort()).toEqual([
      `VEL#IP#${(await velocityKeys('192.0.2.200')).ip}`,
      'VEL#U#single@example.com',
    ]);
    expect(before.Count).toBeGreaterThan(0);
  });
});
