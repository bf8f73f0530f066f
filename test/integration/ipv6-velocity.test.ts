import type { Context } from 'aws-lambda';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../../lambdas/contracts/tables';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-30T08:00:30Z');
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

interface Answer {
  decision: string;
  reasons: { code: string; points: number; detail: string }[];
}

/**
 * Credential stuffing from IPv6: one subscriber's /64 offers 2^64 addresses, so a client that rotates addresses
 * inside it must still be counted as one source. Driven through the decide handler on DynamoDB Local.
 */
describe('velocity by IPv6 /64 against DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let handler: ReturnType<typeof composeDecide>['handler'];
  let now = T0;

  beforeAll(async () => {
    tables = await createTestTables(client, 'v6vel');
    await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: '2026-11-30T00:00:00Z',
      updatedBy: 'test',
    });
    ({ handler } = composeDecide({ dynamo: client, tables, clock: () => now }));
  });
  afterAll(() => client.destroy());

  const decide = async (userId: string, ip: string, at: number): Promise<Answer> => {
    now = at;
    const res = await handler(
      decisionEvent({ userId, action: 'auth.sign_in', context: { ip, userAgent: CHROME } }),
      {} as Context,
    );
    expect(res.statusCode).toBe(200);
    return JSON.parse(res.body ?? '{}') as Answer;
  };
  const manyUsers = (a: Answer) => a.reasons.find((r) => r.code === 'velocity.ip_many_users');

  it('counts 24 users from 24 addresses of one /64 as one source', async () => {
    const answers: Answer[] = [];
    for (let i = 1; i <= 24; i++) {
      // Rotating the interface identifier, as privacy extensions (or an attacker) do.
      answers.push(await decide(`v6-${i}@example.com`, `2a02:2f0c:8e10:4a00:${i.toString(16)}:5e:a1:${i}`, T0 + i));
    }
    const last = answers.at(-1)!;
    expect(manyUsers(last)).toMatchObject({ points: defaultPolicy.weights.velocity.ipManyUsers.points });
    expect(manyUsers(last)?.detail).toMatch(/^23 distinct users from this IPv6 \/64 in 10 min$/);
    // The threshold (20 users before this one) is where it starts, not earlier.
    expect(answers.slice(0, 20).some((a) => manyUsers(a) !== undefined)).toBe(false);
    expect(manyUsers(answers[20]!)).toBeDefined();
  });

  it('keeps counting the exact address beside its /64', async () => {
    const at = T0 + 20 * MINUTE;
    for (let i = 1; i <= 21; i++) await decide(`same-${i}@example.com`, '2a02:2f0c:8e10:4b00::7', at + i);
    const answer = await decide('same-22@example.com', '2a02:2f0c:8e10:4b00::7', at + 30);
    // Both counts are 21: the reason names the address.
    expect(manyUsers(answer)?.detail).toBe('21 distinct users from this IP in 10 min');
  });

  it('does not lump separate /64s of one /48 together', async () => {
    const at = T0 + 40 * MINUTE;
    let last: Answer | undefined;
    for (let i = 1; i <= 24; i++)
      last = await decide(`nets-${i}@example.com`, `2a02:2f0c:8e10:${(0x5000 + i).toString(16)}::1`, at + i);
    expect(manyUsers(last!)).toBeUndefined();
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, not as part of a /64', async () => {
    const at = T0 + 60 * MINUTE;
    // Alternating spellings of one IPv4 address: one source.
    let last: Answer | undefined;
    for (let i = 1; i <= 24; i++) {
      last = await decide(`mapped-${i}@example.com`, i % 2 ? '::ffff:81.167.144.58' : '81.167.144.58', at + i);
    }
    expect(manyUsers(last!)?.detail).toBe('23 distinct users from this IP in 10 min');
    // 24 different IPv4 addresses written as mapped IPv6 share the ::ffff:0:0/96 space but are 24 sources.
    for (let i = 1; i <= 24; i++) {
      last = await decide(`mapped-many-${i}@example.com`, `::ffff:81.167.145.${i}`, at + 100 + i);
    }
    expect(manyUsers(last!)).toBeUndefined();
  });
});
