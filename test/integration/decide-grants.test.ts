import type { Context } from 'aws-lambda';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { stepUpToItem } from '../../lambdas/adapters/dynamodb/items/step-up';
import { GeoipLiteLocator } from '../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../lambdas/adapters/ua-parser-device-parser';
import { composeDecide } from '../../lambdas/composition/decide';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { decisionEvent } from '../support/http-events';

describe('grants redeemed by the decide handler on DynamoDB Local', () => {
  const client = testDynamoClient();
  afterAll(() => client.destroy());

  async function setup(now: () => number) {
    const tables = await createTestTables(client, 'grants');
    await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
      version: 1,
      policy: defaultPolicy,
      updatedAt: '2026-11-29T00:00:00Z',
      updatedBy: 'test',
    });
    const { handler } = composeDecide({ dynamo: client, tables, clock: now });
    const decide = async (body: unknown) => {
      const res = await handler(decisionEvent(body), {} as Context);
      return {
        status: res.statusCode,
        body: JSON.parse(res.body ?? '{}') as { decision: string; reasons: { code: string }[] },
      };
    };
    const grant = async (
      stepUpId: string,
      action: string,
      grantedAt: number,
      maxAgeSeconds: number,
      binding: { sessionId?: string; deviceId?: string } = {},
    ) => {
      const features = {
        ip: '12.45.10.20',
        geo: new GeoipLiteLocator().locate('12.45.10.20'),
        device: new UaParserDeviceParser().parse(undefined),
      };
      await client.send(
        new PutItemCommand({
          TableName: tables.risk,
          Item: stepUpToItem({
            stepUpId,
            userId: 'ops@example.com',
            action,
            decisionId: 'd-0',
            acr: 'urn:stepgate:acr:otp',
            methods: ['totp'],
            maxAgeSeconds,
            status: 'granted',
            createdAt: grantedAt - 1000,
            expiresAt: grantedAt + 600_000,
            grantedAt,
            consumed: false,
            features,
            revision: 1,
            ...binding,
          }),
        }),
      );
    };
    return { decide, grant };
  }

  it('lets a critical action through once per grant (max age 0), then steps up again', async () => {
    let now = Date.parse('2026-11-29T10:00:00Z');
    const { decide, grant } = await setup(() => now);
    const body = {
      userId: 'ops@example.com',
      action: 'admin.production_access',
      context: { ip: '12.45.10.20' },
      stepUpId: 'grant-critical',
    };
    const before = await decide({ ...body, stepUpId: undefined });
    expect(before.body.decision).toBe('step_up');

    await grant('grant-critical', 'admin.production_access', now, 0);
    now += 10_000;
    const first = await decide(body);
    expect(first.status).toBe(200);
    expect(first.body.decision).toBe('allow');
    expect(first.body.reasons.map((r) => r.code)).toContain('step_up.satisfied');
    const second = await decide(body);
    expect(second.body.decision).toBe('step_up');
  });

  it('never lets a grant for another user or another action through', async () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    const { decide, grant } = await setup(() => now);
    await grant('grant-payment', 'payment.transfer', now - 1000, 300);
    const otherAction = await decide({
      userId: 'ops@example.com',
      action: 'admin.production_access',
      context: { ip: '12.45.10.20' },
      stepUpId: 'grant-payment',
    });
    expect(otherAction.body.decision).toBe('step_up');
    const otherUser = await decide({
      userId: 'mallory@example.com',
      action: 'payment.transfer',
      context: { ip: '12.45.10.20' },
      stepUpId: 'grant-payment',
    });
    expect(otherUser.body.reasons.map((r) => r.code)).not.toContain('step_up.satisfied');
  });

  it('honours a session-bound grant only in its session, and a device-bound one only on its device', async () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    const { decide, grant } = await setup(() => now);
    const request = (extra: Record<string, unknown>, deviceId?: string) => ({
      userId: 'ops@example.com',
      action: 'payment.transfer',
      context: { ip: '12.45.10.20', ...(deviceId ? { deviceId } : {}) },
      ...extra,
    });
    const codes = (r: { body: { reasons: { code: string }[] } }) => r.body.reasons.map((x) => x.code);
    expect((await decide(request({ sessionId: 'sess-A' }, 'dev-1'))).body.decision).toBe('step_up');
    await grant('grant-bound', 'payment.transfer', now - 1000, 300, { sessionId: 'sess-A', deviceId: 'dev-1' });

    for (const [extra, deviceId] of [
      [{ sessionId: 'sess-B' }, 'dev-1'],
      [{}, 'dev-1'],
      [{ sessionId: 'sess-A' }, 'dev-2'],
      [{ sessionId: 'sess-A' }, undefined],
    ] as const) {
      const refused = await decide(request({ ...extra, stepUpId: 'grant-bound' }, deviceId));
      expect({ extra, deviceId, decision: refused.body.decision }).toEqual({ extra, deviceId, decision: 'step_up' });
      expect(codes(refused)).toContain('step_up.grant_invalid');
      expect(codes(refused)).not.toContain('step_up.satisfied');
    }
    const redeemed = await decide(request({ sessionId: 'sess-A', stepUpId: 'grant-bound' }, 'dev-1'));
    expect(redeemed.body.decision).toBe('allow');
    expect(codes(redeemed)).toContain('step_up.satisfied');
  });
});
