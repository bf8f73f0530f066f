import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { buildAuditApiHandler } from '../../../lambdas/handlers/audit/audit-routes';
import type { HttpEvent, HttpLambda } from '../../../lambdas/handlers/http/http-handler';
import { API_ROUTES, routeKey } from '../../../lambdas/contracts/routes';
import type { AuditLog } from '../../../lambdas/ports/audit-log';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';

const DAY = 86_400_000;
const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const TODAY = new Date(NOW).toISOString().slice(0, 10);

function apiEvent(
  route: 'GET /v1/admin/audit' | 'GET /v1/admin/audit/verify',
  options: { groups?: string; query?: Record<string, string> } = {},
): HttpEvent {
  const [method = 'GET', path = '/'] = route.split(' ');
  const claims: Record<string, string> = { sub: 'auditor-sub-1', username: 'auditor@example.com' };
  if (options.groups !== undefined) claims['cognito:groups'] = options.groups;
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: {},
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'jest' },
      requestId: randomUUID(),
      routeKey: route,
      stage: '$default',
      time: new Date(NOW).toUTCString(),
      timeEpoch: NOW,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
    isBase64Encoded: false,
  };
}

const context = {} as Context;

function decision(i: number, subject: string): AuditEvent {
  return {
    eventId: `decision:api-${i}`,
    kind: 'decision',
    actor: { type: 'app', id: 'local-app' },
    subject,
    action: 'payment.transfer',
    outcome: 'allow',
    at: new Date(NOW - 3_600_000 + i * 1000).toISOString(),
  };
}

describe('audit admin API handler', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let handler: HttpLambda;
  let auditLog: DynamoDbAuditLog;
  let reader: DynamoDbAuditReader;

  beforeEach(async () => {
    tables = await createTestTables(client, 'auditapi');
    auditLog = new DynamoDbAuditLog({ client, tableName: tables.audit, now: () => NOW, writer: 'test' });
    reader = new DynamoDbAuditReader({ client, tableName: tables.audit, now: () => NOW });
    handler = buildAuditApiHandler({ auditReader: reader, auditLog, now: () => NOW });
    for (let i = 1; i <= 5; i += 1) await auditLog.append(decision(i, i % 2 === 0 ? 'bob' : 'alice'));
  });
  afterAll(() => client.destroy());

  it('is routed through the shared route list as the audit function, for user tokens', () => {
    const routes = API_ROUTES.filter((r) => r.fn === 'audit').map((r) => [routeKey(r), r.authorizer, r.scopes]);
    expect(routes).toEqual([
      ['GET /v1/admin/audit', 'user', []],
      ['GET /v1/admin/audit/verify', 'user', []],
    ]);
  });

  it('exports JSON lines for risk-auditors (groups as API Gateway flattens them) and records the read', async () => {
    const event = apiEvent('GET /v1/admin/audit', { groups: '[risk-auditors]', query: { from: TODAY } });
    const res = await handler(event, context);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/x-ndjson');
    const lines = (res.body ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: AuditEvent; intact: boolean });
    expect(lines.map((l) => l.event.eventId)).toEqual([1, 2, 3, 4, 5].map((i) => `decision:api-${i}`));
    expect(lines.every((l) => l.intact)).toBe(true);

    const id = `admin.read:${event.requestContext.requestId}`;
    const marker = await client.send(
      new GetItemCommand({
        TableName: tables.audit,
        Key: { pk: { S: `EVENT#${id}` }, sk: { S: 'EVENT' } },
        ConsistentRead: true,
      }),
    );
    expect(marker.Item).toBeDefined();
    const reads = await reader.exportRecords({ from: NOW - DAY, to: NOW + DAY });
    const read = reads.records.find((r) => r.event.eventId === id)!.event;
    expect(read).toMatchObject({
      kind: 'admin.read',
      actor: { type: 'user', id: 'auditor-sub-1' },
      action: 'audit.export',
      data: { username: 'auditor@example.com', records: 5, from: `${TODAY}T00:00:00.000Z`, continued: false },
    });
  });

  it('pages with an opaque x-next-cursor header and filters by subject', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const query: Record<string, string> = {
        from: TODAY,
        subject: 'alice',
        limit: '2',
        ...(cursor ? { cursor } : {}),
      };
      const res = await handler(apiEvent('GET /v1/admin/audit', { groups: '[risk-auditors]', query }), context);
      expect(res.statusCode).toBe(200);
      const body = res.body ?? '';
      seen.push(
        ...body
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { event: AuditEvent }).event.eventId),
      );
      cursor = res.headers?.['x-next-cursor'] as string | undefined;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor);
    expect(seen.filter((id) => id.startsWith('decision:'))).toEqual([
      'decision:api-1',
      'decision:api-3',
      'decision:api-5',
    ]);
  });

  it('verifies for auditors and admins with exactly { ok, chains, records, breaks, anchor }', async () => {
    for (const groups of ['[risk-auditors]', '[risk-admins]', '[other risk-admins]']) {
      const res = await handler(apiEvent('GET /v1/admin/audit/verify', { groups }), context);
      expect(res.statusCode).toBe(200);
      const body = JSON.parse(res.body ?? '') as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['anchor', 'breaks', 'chains', 'ok', 'records']);
      // No checkpoint store wired in: verified, but without an anchor, and it says so.
      expect(body).toMatchObject({ ok: true, chains: 1, breaks: [], anchor: null });
    }
  });

  it.each([
    ['no group claim', undefined],
    ['an empty group list', '[]'],
    ['an unrelated group', '[risk-analysts]'],
  ])('answers 403 with %s and records nothing', async (_name, groups) => {
    for (const route of ['GET /v1/admin/audit', 'GET /v1/admin/audit/verify'] as const) {
      const res = await handler(apiEvent(route, { ...(groups ? { groups } : {}), query: { from: TODAY } }), context);
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body ?? '')).toMatchObject({ error: { code: 'forbidden' } });
    }
    await expect(reader.verifyAll(NOW)).resolves.toMatchObject({ records: 5 });
  });

  it.each([
    ['missing from', {}, 'from'],
    ['from not a date', { from: 'last tuesday' }, 'from'],
    ['from not a calendar date', { from: '2026-13-01' }, 'from'],
    ['to not a date', { from: TODAY, to: 'never' }, 'to'],
    ['to before from', { from: TODAY, to: '2000-01-01' }, 'to'],
    ['limit 0', { from: TODAY, limit: '0' }, 'limit'],
    ['a forged cursor', { from: TODAY, cursor: 'not-a-cursor' }, 'cursor'],
    ['an oversized subject', { from: TODAY, subject: 'x'.repeat(600) }, 'subject'],
  ])('answers 400 naming the parameter for %s', async (_name, query: Record<string, string>, field) => {
    const res = await handler(apiEvent('GET /v1/admin/audit', { groups: '[risk-auditors]', query }), context);
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body ?? '') as { error: { code: string; message: string; field: string } };
    expect(body.error).toMatchObject({ code: 'invalid_request', field });
    expect(body.error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('serves nothing when the read cannot be recorded', async () => {
    const failingLog: AuditLog = { append: () => Promise.reject(new Error('audit table unavailable')) };
    const logError = jest.fn();
    const strict = buildAuditApiHandler({ auditReader: reader, auditLog: failingLog, now: () => NOW, logError });
    const res = await strict(
      apiEvent('GET /v1/admin/audit', { groups: '[risk-auditors]', query: { from: TODAY } }),
      context,
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('decision:api');
    expect(logError).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(logError.mock.calls)).not.toContain('decision:api');
  });
});
