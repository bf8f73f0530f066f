import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AuditRecordRejectedError, isSecretFieldName, type AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { InvalidAuditQueryError } from '../../../lambdas/core/audit/audit-query';
import { hashRecord } from '../../../lambdas/core/audit/hash-chain';
import { seqSk } from '../../../lambdas/adapters/dynamodb/items/audit';
import {
  AuditAppendError,
  DynamoDbAuditLog,
  isAuditConflict,
  type DynamoDbAuditLogOptions,
} from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';

const DAY = 86_400_000;
// DynamoDB Local runs TTL for real, so records must not be born expired: start the test clock at the current hour.
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000;

function event(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: `decision:d-${i}`,
    kind: 'decision',
    actor: { type: 'app', id: 'local-app' },
    subject: `user-${i % 3}@example.com`,
    action: 'payment.transfer',
    outcome: i % 2 === 0 ? 'allow' : 'step_up',
    reasons: ['device.new', 'geo.new_country'],
    policyVersion: 1,
    requestId: `req-${i}`,
    at: new Date(T0 + i * 1000).toISOString(),
    data: { score: 40 + (i % 7), ip: '203.0.113.7', nested: { list: [1, 'two', null, false], empty: {} } },
    ...overrides,
  };
}

async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
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

const isRecord = (item: Record<string, AttributeValue>) =>
  item.pk?.S?.startsWith('CHAIN#') && item.sk?.S?.startsWith('SEQ#');

describe('DynamoDbAuditLog on DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let clock: number;
  const now = () => clock;
  const newLog = (options: Partial<DynamoDbAuditLogOptions> = {}) =>
    new DynamoDbAuditLog({ client, tableName: tables.audit, now, writer: 'test', ...options });
  const newReader = () => new DynamoDbAuditReader({ client, tableName: tables.audit, now });
  const records = async () => (await scanAll(client, tables.audit)).filter(isRecord);
  const chainIdsOf = async () => [...new Set((await records()).map((r) => r.chainId!.S!))];

  beforeEach(async () => {
    tables = await createTestTables(client, 'audit');
    clock = T0;
  });
  afterAll(() => client.destroy());

  it('N appends make exactly N records on one chain that verifies clean', async () => {
    const log = newLog();
    for (let i = 1; i <= 25; i += 1) await expect(log.append(event(i))).resolves.toBe('appended');
    const stored = await records();
    expect(stored).toHaveLength(25);
    expect(new Set(stored.map((r) => r.chainId?.S)).size).toBe(1);
    expect(stored.map((r) => Number(r.seq!.N)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    await expect(newReader().verifyAll(clock)).resolves.toEqual({ ok: true, chains: 1, records: 25, breaks: [] });
    // The head item says where the chain ends.
    const chainId = stored[0]!.chainId!.S!;
    const head = await client.send(
      new GetItemCommand({ TableName: tables.audit, Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: 'HEAD' } } }),
    );
    expect(head.Item?.seq?.N).toBe('25');
  });

  it('stores the event exactly as appended (minus undefined) and exports it intact', async () => {
    const log = newLog();
    await log.append(event(1, { why: undefined, before: null, after: { threshold: 0.25 } }));
    const page = await newReader().exportRecords({ from: T0, to: T0 + DAY });
    expect(page.records).toHaveLength(1);
    const [record] = page.records;
    expect(record).toMatchObject({
      seq: 1,
      intact: true,
      event: { ...event(1), before: null, after: { threshold: 0.25 } },
    });
    expect(record!.event).not.toHaveProperty('why');
  });

  it('20 concurrent writers on several instances and on one instance lose and duplicate nothing', async () => {
    const instances = Array.from({ length: 4 }, () => newLog());
    const shared = newLog();
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => instances[i % 4]!.append(event(i))),
      ...Array.from({ length: 20 }, (_, i) => shared.append(event(100 + i))),
    ]);
    expect(results.every((r) => r === 'appended')).toBe(true);
    const stored = await records();
    expect(stored).toHaveLength(40);
    const ids = stored.map((r) => r.event!.M!.eventId!.S!);
    expect(new Set(ids).size).toBe(40);
    // One chain per append in flight, never two appends on one chain; the burst beyond the cap (16) waited.
    expect(shared.idleChains).toBe(16);
    const verification = await newReader().verifyAll(clock);
    expect(verification).toMatchObject({ ok: true, records: 40, breaks: [] });
    expect(verification.chains).toBe((await chainIdsOf()).length);

    // Chains go back to the pool: a second burst reuses them rather than starting new ones.
    await Promise.all(Array.from({ length: 20 }, (_, i) => shared.append(event(200 + i))));
    expect((await chainIdsOf()).length).toBe(verification.chains);
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, records: 60 });
  });

  it('verifying while writers append never mistakes a new record for an inserted one', async () => {
    const log = newLog();
    for (let i = 1; i <= 3; i += 1) await log.append(event(i));
    let writing = true;
    const writer = (async () => {
      for (let i = 4; i <= 60; i += 1) await log.append(event(i));
      writing = false;
    })();
    const reader = newReader();
    const results = [];
    while (writing) results.push(await reader.verifyAll(clock));
    await writer;
    expect(results.length).toBeGreaterThan(0);
    expect(results.flatMap((r) => r.breaks)).toEqual([]);
    await expect(reader.verifyAll(clock)).resolves.toEqual({ ok: true, chains: 1, records: 60, breaks: [] });
  });

  it('a retried event is one record: the retry is a duplicate, also from another instance', async () => {
    const a = newLog();
    const b = newLog();
    await expect(a.append(event(1))).resolves.toBe('appended');
    await expect(a.append(event(1))).resolves.toBe('duplicate');
    await expect(b.append(event(1))).resolves.toBe('duplicate');
    const racing = await Promise.all([a.append(event(2)), b.append(event(2)), a.append(event(2)), b.append(event(2))]);
    expect(racing.filter((r) => r === 'appended')).toHaveLength(1);
    expect(racing.filter((r) => r === 'duplicate')).toHaveLength(3);
    // The rejected duplicates left their chains as they were: the next appends continue without gaps.
    await a.append(event(3));
    await b.append(event(4));
    expect(await records()).toHaveLength(4);
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, records: 4, breaks: [] });
  });

  it('a prepared append cancelled by the caller’s own condition leaves the chain head unchanged', async () => {
    const log = newLog();
    await log.append(event(1));
    const prepared = log.prepare(event(2));
    const callerItem = {
      ConditionCheck: {
        TableName: tables.risk,
        Key: { pk: { S: 'USER#alice' }, sk: { S: 'PROFILE' } },
        ConditionExpression: 'attribute_exists(pk)',
      },
    };
    const error = await client
      .send(new TransactWriteItemsCommand({ TransactItems: [callerItem, ...prepared.transactItems] }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect(isAuditConflict(error)).toBe(false);
    expect(prepared.failedWith(error)).toBe('rejected');

    const chainId = (await chainIdsOf())[0]!;
    const head = await client.send(
      new GetItemCommand({ TableName: tables.audit, Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: 'HEAD' } } }),
    );
    expect(head.Item?.seq?.N).toBe('1');
    await log.append(event(3));
    const stored = await records();
    expect(stored.map((r) => [r.chainId!.S, Number(r.seq!.N)])).toEqual([
      [chainId, 1],
      [chainId, 2],
    ]);
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, chains: 1, records: 2 });
  });

  it('a prepared append commits with the caller’s items in one transaction, and spots a replay', async () => {
    const log = newLog();
    const decisionItem = (id: string) => ({
      Put: { TableName: tables.risk, Item: { pk: { S: `DECISION#${id}` }, sk: { S: 'DECISION' } } },
    });
    const first = log.prepare(event(1));
    await client.send(new TransactWriteItemsCommand({ TransactItems: [decisionItem('d-1'), ...first.transactItems] }));
    first.committed();

    // The same decision again (a retried request): the audit event id is already there, so nothing is written.
    const replay = log.prepare(event(1));
    const error = await client
      .send(new TransactWriteItemsCommand({ TransactItems: [decisionItem('d-1-retry'), ...replay.transactItems] }))
      .catch((e: unknown) => e);
    expect(isAuditConflict(error)).toBe(true);
    expect(replay.failedWith(error)).toBe('duplicate');
    const retry = await client.send(
      new GetItemCommand({ TableName: tables.risk, Key: { pk: { S: 'DECISION#d-1-retry' }, sk: { S: 'DECISION' } } }),
    );
    expect(retry.Item).toBeUndefined();
    await log.append(event(2));
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, chains: 1, records: 2 });
  });

  it('an append whose outcome is unknown abandons its chain; the retry is a duplicate if it had committed', async () => {
    let failNext = false;
    const flaky = {
      send: async (command: TransactWriteItemsCommand) => {
        const result = await client.send(command);
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return result;
      },
    } as unknown as DynamoDBClient;
    const log = newLog({ client: flaky });
    await log.append(event(1));
    failNext = true;
    const error = await log.append(event(2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditAppendError);
    expect((error as AuditAppendError).outcome).toBe('unknown');
    expect(log.idleChains).toBe(0);
    await expect(log.append(event(2))).resolves.toBe('duplicate');
    await expect(log.append(event(3))).resolves.toBe('appended');
    expect(await chainIdsOf()).toHaveLength(2);
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, chains: 2, records: 3 });
  });

  it('refuses an event carrying a secret before writing anything, and no stored record ever names one', async () => {
    const log = newLog();
    await log.append(event(1));
    await expect(log.append(event(2, { data: { otpCode: '123456' } }))).rejects.toBeInstanceOf(
      AuditRecordRejectedError,
    );
    await expect(log.append(event(3, { before: { refreshToken: 'x' } }))).rejects.toBeInstanceOf(
      AuditRecordRejectedError,
    );
    await log.append(event(4));
    const items = await scanAll(client, tables.audit);
    const namesIn = (value: AttributeValue): string[] =>
      value.M
        ? Object.entries(value.M).flatMap(([k, v]) => [k, ...namesIn(v)])
        : value.L
          ? value.L.flatMap(namesIn)
          : [];
    const allNames = items.flatMap((item) => Object.entries(item).flatMap(([k, v]) => [k, ...namesIn(v)]));
    expect(allNames).toContain('outcome');
    expect(allNames.filter(isSecretFieldName)).toEqual([]);
    expect(items.filter(isRecord)).toHaveLength(2);
    await expect(newReader().verifyAll(clock)).resolves.toMatchObject({ ok: true, records: 2 });
  });

  describe('tampering done directly in the table is detected and named', () => {
    let chainId: string;
    const key = (seq: number) => ({ pk: { S: `CHAIN#${chainId}` }, sk: { S: seqSk(seq) } });
    const getRecord = async (seq: number) =>
      (await client.send(new GetItemCommand({ TableName: tables.audit, Key: key(seq), ConsistentRead: true }))).Item!;
    const putAt = (seq: number, item: Record<string, AttributeValue>) =>
      client.send(new PutItemCommand({ TableName: tables.audit, Item: { ...item, ...key(seq) } }));
    const remove = (seq: number) => client.send(new DeleteItemCommand({ TableName: tables.audit, Key: key(seq) }));
    const verify = async () => {
      const result = await newReader().verifyAll(clock);
      return result.breaks.map((b) => `${b.kind}@${b.seq}`);
    };

    beforeEach(async () => {
      const log = newLog();
      for (let i = 1; i <= 8; i += 1) await log.append(event(i));
      chainId = (await chainIdsOf())[0]!;
      await expect(verify()).resolves.toEqual([]);
    });

    it('edited: an attribute of a record updated', async () => {
      await client.send(
        new UpdateItemCommand({
          TableName: tables.audit,
          Key: key(3),
          UpdateExpression: 'SET #e.#o = :allow',
          ExpressionAttributeNames: { '#e': 'event', '#o': 'outcome' },
          ExpressionAttributeValues: { ':allow': { S: 'allow' } },
        }),
      );
      await expect(verify()).resolves.toEqual(['edited@3']);
    });

    it('edited: a value replaced by a type JSON does not have, or a number beyond 2^53', async () => {
      const set = (seq: number, value: AttributeValue) =>
        client.send(
          new UpdateItemCommand({
            TableName: tables.audit,
            Key: key(seq),
            UpdateExpression: 'SET #e.#d.#s = :v',
            ExpressionAttributeNames: { '#e': 'event', '#d': 'data', '#s': 'score' },
            ExpressionAttributeValues: { ':v': value },
          }),
        );
      await set(2, { SS: ['40', '41'] });
      await set(5, { N: '123456789012345678901234567890' });
      await expect(verify()).resolves.toEqual(['edited@2', 'edited@5']);
    });

    it('deleted: a middle record, then the tail', async () => {
      await remove(4);
      await expect(verify()).resolves.toEqual(['deleted@4']);
      await remove(8);
      await expect(verify()).resolves.toEqual(['deleted@4', 'deleted@8']);
    });

    it('inserted: a valid-looking extra record put after the last one', async () => {
      const last = await getRecord(8);
      const forgedEvent = event(9, { eventId: 'decision:forged', outcome: 'allow' });
      const expiresAt = Number(last.expiresAt!.N);
      const hash = hashRecord(last.hash!.S!, chainId, 9, forgedEvent, { expiresAt, prevExpiresAt: expiresAt });
      await putAt(9, {
        ...last,
        seq: { N: '9' },
        prevHash: { S: last.hash!.S! },
        hash: { S: hash },
        prevExpiresAt: { N: String(expiresAt) },
        event: { M: { ...last.event!.M!, eventId: { S: 'decision:forged' }, at: { S: forgedEvent.at } } },
      });
      await expect(verify()).resolves.toEqual(['inserted@9']);
    });

    it('reordered: two records’ content swapped between their keys', async () => {
      const three = await getRecord(3);
      const six = await getRecord(6);
      await putAt(3, six);
      await putAt(6, three);
      await expect(verify()).resolves.toEqual(['reordered@3', 'reordered@6']);
    });

    it('gap: keys renumbered with the hash links kept', async () => {
      for (let seq = 8; seq >= 5; seq -= 1) {
        const item = await getRecord(seq);
        await putAt(seq + 1, item);
        await remove(seq);
      }
      await expect(verify()).resolves.toEqual(['gap@5']);
    });
  });

  it('a chain whose oldest records expired still verifies clean; before expiry they count as deleted', async () => {
    let retention = 1;
    const log = newLog({ retentionDays: () => retention });
    for (let i = 1; i <= 3; i += 1) await log.append(event(i));
    retention = 400;
    for (let i = 4; i <= 6; i += 1) await log.append(event(i));
    const chainId = (await chainIdsOf())[0]!;
    // What TTL does, eventually, to the first three:
    for (let seq = 1; seq <= 3; seq += 1) {
      await client.send(
        new DeleteItemCommand({
          TableName: tables.audit,
          Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: seqSk(seq) } },
        }),
      );
    }
    await expect(newReader().verifyAll(T0 + 2 * DAY)).resolves.toEqual({ ok: true, chains: 1, records: 3, breaks: [] });
    const early = await newReader().verifyAll(T0 + DAY / 2);
    expect(early.breaks.map((b) => `${b.kind}@${b.seq}`)).toEqual(['deleted@1', 'deleted@2', 'deleted@3']);
  });

  describe('export', () => {
    it('pages through a range across days by time, and by subject, leaving out expired records', async () => {
      const log = newLog();
      const at = (dayOffset: number, minute: number) => new Date(T0 + dayOffset * DAY + minute * 60_000).toISOString();
      let i = 0;
      for (const day of [0, 1, 3]) {
        for (let m = 0; m < 5; m += 1) {
          i += 1;
          await log.append(event(i, { at: at(day, m), subject: m % 2 === 0 ? 'alice' : 'bob' }));
        }
      }
      const shortLived = newLog({ retentionDays: 1 });
      await shortLived.append(event(99, { at: at(1, 30), subject: 'alice' }));
      clock = T0 + 2 * DAY;

      const reader = newReader();
      const collect = async (query: { from: number; to: number; subject?: string; limit: number }) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await reader.exportRecords({ ...query, ...(cursor ? { cursor } : {}) });
          expect(page.records.length).toBeLessThanOrEqual(query.limit);
          seen.push(...page.records.map((r) => r.event.at));
          cursor = page.cursor;
          pages += 1;
        } while (cursor && pages < 50);
        return seen;
      };
      const all = await collect({ from: T0 - DAY, to: T0 + 5 * DAY, limit: 4 });
      expect(all).toHaveLength(15);
      expect([...all].sort()).toEqual(all);
      // [from, to): the first record of day 1 up to (not including) day 3's third record.
      const window = await collect({ from: Date.parse(at(1, 0)), to: Date.parse(at(3, 2)), limit: 3 });
      expect(window).toEqual([at(1, 0), at(1, 1), at(1, 2), at(1, 3), at(1, 4), at(3, 0), at(3, 1)]);
      const alice = await collect({ from: T0 - DAY, to: T0 + 5 * DAY, subject: 'alice', limit: 2 });
      expect(alice).toHaveLength(9);
      expect([...alice].sort()).toEqual(alice);
    });

    it('refuses a cursor it did not make, or one from another query', async () => {
      const log = newLog();
      for (let i = 1; i <= 3; i += 1) await log.append(event(i));
      const reader = newReader();
      const page = await reader.exportRecords({ from: T0, to: T0 + DAY, limit: 1 });
      expect(page.cursor).toBeDefined();
      await expect(reader.exportRecords({ from: T0, to: T0 + DAY, cursor: 'garbage' })).rejects.toBeInstanceOf(
        InvalidAuditQueryError,
      );
      await expect(reader.exportRecords({ from: T0 - 1, to: T0 + DAY, cursor: page.cursor! })).rejects.toThrow(
        /different from\/to\/subject/,
      );
      const next = await reader.exportRecords({ from: T0, to: T0 + DAY, limit: 5, cursor: page.cursor! });
      expect(next.records.map((r) => r.seq)).toEqual([2, 3]);
    });
  });
});
