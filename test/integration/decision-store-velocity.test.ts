import type { Context } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { RequestFeatures, VelocityCounts } from '../../lambdas/core/risk/types';
import { DynamoDbDecisionStore } from '../../lambdas/adapters/dynamodb/dynamodb-decision-store';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../../lambdas/adapters/dynamodb/table-definitions';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

const MINUTE = 60_000;
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

  beforeAll(async () => {
    tables = await createTestTables(client, 'velocity');
    await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: '2026-11-29T00:00:00Z',
      updatedBy: 'test',
    });
    ({ handler } = composeDecide({ dynamo: client, tables, clock: () => now }));
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
  const velocity = async (userId: string, ip: string, at: number): Promise<VelocityCounts> =>
    (await store.load({ userId, features: features(ip), includePolicy: false, now: at })).velocity;

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
    for (let i = 0; i < 4; i++) await store.recordFailure(user, 'signIns', T0 + 30 * MINUTE + i);
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

  it('sends one counter update per user and one per address with each decision', async () => {
    const before = await client.send(new ScanCommand({ TableName: tables.risk, Select: 'COUNT' }));
    await decide('single@example.com', '192.0.2.200', T0 + 40 * MINUTE);
    const velocityItems = await client.send(
      new ScanCommand({
        TableName: tables.risk,
        FilterExpression: 'begins_with(pk, :vel) AND (contains(pk, :user) OR contains(pk, :ip))',
        ExpressionAttributeValues: {
          ':vel': { S: 'VEL#' },
          ':user': { S: 'single@example.com' },
          ':ip': { S: '192.0.2.200' },
        },
      }),
    );
    expect(velocityItems.Items?.map((i) => i.pk?.S).sort()).toEqual(['VEL#IP#192.0.2.200', 'VEL#U#single@example.com']);
    expect(before.Count).toBeGreaterThan(0);
  });
});
