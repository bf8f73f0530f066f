import type { Context } from 'aws-lambda';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

describe('decide handler round trips against DynamoDB Local', () => {
  const client = testDynamoClient();
  afterAll(() => client.destroy());

  it('costs exactly one read and one write round trip per decision, with and without a step-up', async () => {
    const tables = await createTestTables(client, 'roundtrips');
    await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: '2026-11-29T00:00:00Z',
      updatedBy: 'test',
    });
    const counts = { read: 0, write: 0 };
    let now = Date.parse('2026-11-29T10:00:00Z');
    const { handler } = composeDecide({
      dynamo: client,
      tables,
      clock: () => now,
      onRoundTrip: (kind) => counts[kind]++,
    });
    const cases = [
      { userId: 'rt@example.com', action: 'auth.sign_in', context: { ip: '12.45.10.20', deviceId: 'd1' } },
      { userId: 'rt@example.com', action: 'payment.transfer', context: { ip: '1.72.10.20', deviceId: 'd9' } },
      { userId: 'rt@example.com', action: 'profile.view', context: { ip: '12.45.10.20' }, requestId: 'r-1' },
    ];
    for (const body of cases) {
      counts.read = 0;
      counts.write = 0;
      now += 60_000;
      const res = await handler(decisionEvent(body), {} as Context);
      expect(res.statusCode).toBe(200);
      expect(counts).toEqual({ read: 1, write: 1 });
    }
  });
});
