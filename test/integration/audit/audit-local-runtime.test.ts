import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { hashRecord } from '../../../lambdas/core/audit/hash-chain';
import { seqSk } from '../../../lambdas/adapters/dynamodb/items/audit';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
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

/**
 * The three tamperings an adversary with write access to the audit table could do unnoticed, done in DynamoDB
 * Local behind `npm start`'s own stack, and checked through `GET /v1/admin/audit/verify` after the runtime wrote
 * a signed checkpoint on demand (`POST /local/audit/checkpoint`).
 */
describe('audit verify through the local runtime names tampering done directly in the table', () => {
  let runtime: LocalRuntime;
  let auditor: string;
  const chain = 'tampered-chain';

  beforeEach(async () => {
    runtime = await startTestRuntime();
    const { users, webClient } = runtime.context.identities;
    const user = users.find((u) => u.username === 'auditor@example.com')!;
    auditor = (await runtime.context.issuer.userTokens(user, webClient.clientId, Math.floor(Date.now() / 1000)))
      .AccessToken;
    const log = new DynamoDbAuditLog({
      client: runtime.context.dynamo,
      tableName: runtime.context.tables.audit,
      writer: 'test',
      newChainId: () => chain,
    });
    for (let i = 1; i <= 6; i += 1) {
      await log.append({
        eventId: `decision:rt-${i}`,
        kind: 'decision',
        actor: { type: 'app', id: 'local-app' },
        subject: 'alice@example.com',
        action: 'payment.transfer',
        outcome: 'deny',
        at: new Date(Date.now() - 60_000 + i * 1000).toISOString(),
      });
    }
    await fetch(`${runtime.url}/local/audit/checkpoint`, { method: 'POST' });
  });
  afterEach(async () => {
    await runtime?.stop();
  });

  const table = () => runtime.context.tables.audit;
  const key = (sk: string) => ({ pk: { S: `CHAIN#${chain}` }, sk: { S: sk } });
  const item = async (sk: string) =>
    (await runtime.context.dynamo.send(new GetItemCommand({ TableName: table(), Key: key(sk), ConsistentRead: true })))
      .Item!;
  const verify = async () => {
    const res = await fetch(`${runtime.url}/v1/admin/audit/verify`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; breaks: { chain: string; seq: number; kind: string }[] };
    return { ok: body.ok, breaks: body.breaks.filter((b) => b.chain === chain).map((b) => `${b.kind}@${b.seq}`) };
  };

  it('(a) index attributes rewritten so a record drops out of the subject export: misindexed', async () => {
    await runtime.context.dynamo.send(
      new UpdateItemCommand({ TableName: table(), Key: key(seqSk(2)), UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }),
    );
    await expect(verify()).resolves.toEqual({ ok: false, breaks: ['misindexed@2'] });
  });

  it('(b) the whole chain deleted with its registry item: deleted, every sequence number', async () => {
    const items = await runtime.context.dynamo.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `CHAIN#${chain}` } },
      }),
    );
    for (const i of items.Items ?? []) {
      await runtime.context.dynamo.send(new DeleteItemCommand({ TableName: table(), Key: { pk: i.pk!, sk: i.sk! } }));
    }
    await runtime.context.dynamo.send(
      new DeleteItemCommand({ TableName: table(), Key: { pk: { S: 'CHAINS' }, sk: { S: chain } } }),
    );
    await expect(verify()).resolves.toEqual({
      ok: false,
      breaks: ['deleted@1', 'deleted@2', 'deleted@3', 'deleted@4', 'deleted@5', 'deleted@6'],
    });
  });

  it('(c) the tail and the head rewritten consistently: edited at the checkpointed head', async () => {
    let prevHash = (await item(seqSk(5))).prevHash!.S!;
    let last: Record<string, AttributeValue> = {};
    for (const seq of [5, 6]) {
      const stored = await item(seqSk(seq));
      const event = { ...(unmarshall({ e: stored.event! }).e as AuditEvent), outcome: 'allow' };
      const lifetime = {
        expiresAt: Number(stored.expiresAt!.N),
        ...(stored.prevExpiresAt ? { prevExpiresAt: Number(stored.prevExpiresAt.N) } : {}),
      };
      const hash = hashRecord(prevHash, chain, seq, event, lifetime);
      last = { ...stored, prevHash: { S: prevHash }, hash: { S: hash }, event: marshall({ e: event }).e! };
      await runtime.context.dynamo.send(new PutItemCommand({ TableName: table(), Item: last }));
      prevHash = hash;
    }
    const head = await item('HEAD');
    await runtime.context.dynamo.send(
      new PutItemCommand({
        TableName: table(),
        Item: { ...head, hash: { S: prevHash }, tailExpiresAt: last.expiresAt! },
      }),
    );
    await expect(verify()).resolves.toEqual({ ok: false, breaks: ['edited@6'] });
  });
});
