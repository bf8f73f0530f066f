import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { checkpointDigest, type SignedCheckpoint } from '../../../lambdas/core/audit/checkpoint';
import { hashRecord } from '../../../lambdas/core/audit/hash-chain';
import { seqSk } from '../../../lambdas/adapters/dynamodb/items/audit';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { FileCheckpointStore } from '../../../lambdas/adapters/file-checkpoint-store';
import { NodeCryptoCheckpointSigner } from '../../../lambdas/adapters/node-crypto-checkpoint-signer';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { AuditCheckpoints, verifyTrail } from '../../../lambdas/application/audit-checkpoints/audit-checkpoints';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';

const DAY = 86_400_000;
// DynamoDB Local runs TTL for real: records must not be born expired.
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000;

function event(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: `decision:d-${i}`,
    kind: 'decision',
    actor: { type: 'app', id: 'local-app' },
    subject: `user-${i % 2}@example.com`,
    action: 'payment.transfer',
    outcome: i % 2 === 0 ? 'allow' : 'step_up',
    reasons: ['device.new'],
    at: new Date(T0 + i * 1000).toISOString(),
    ...overrides,
  };
}

async function queryAll(client: DynamoDBClient, table: string, pk: string): Promise<Record<string, AttributeValue>[]> {
  const out = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/**
 * The adversary of these tests has write access to the audit table (and nothing else): every tampering is done
 * directly in DynamoDB Local, with the same calls a person holding table credentials would make.
 */
describe('audit anchoring: tampering done directly in the table, named by verify', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let dir: string;
  let clock: number;
  const now = () => clock;
  let reader: DynamoDbAuditReader;
  let checkpoints: AuditCheckpoints;
  let store: FileCheckpointStore;
  let chainA: string;
  let chainB: string;

  const key = (chain: string, seq: number) => ({ pk: { S: `CHAIN#${chain}` }, sk: { S: seqSk(seq) } });
  const getItem = async (chain: string, sk: string) =>
    (
      await client.send(
        new GetItemCommand({
          TableName: tables.audit,
          Key: { pk: { S: `CHAIN#${chain}` }, sk: { S: sk } },
          ConsistentRead: true,
        }),
      )
    ).Item!;
  const update = (chain: string, seq: number, expression: string, values?: Record<string, AttributeValue>) =>
    client.send(
      new UpdateItemCommand({
        TableName: tables.audit,
        Key: key(chain, seq),
        UpdateExpression: expression,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  const put = (item: Record<string, AttributeValue>) =>
    client.send(new PutItemCommand({ TableName: tables.audit, Item: item }));
  const remove = (k: Record<string, AttributeValue>) =>
    client.send(new DeleteItemCommand({ TableName: tables.audit, Key: k }));
  const breaksOf = async (anchored: boolean) => {
    const result = await verifyTrail(reader, anchored ? checkpoints : undefined, clock);
    return result.breaks.map(
      (b) => `${b.chain === chainA ? 'A' : b.chain === chainB ? 'B' : b.chain}:${b.kind}@${b.seq}`,
    );
  };

  beforeEach(async () => {
    tables = await createTestTables(client, 'anchor');
    dir = mkdtempSync(join(tmpdir(), 'stepgate-anchor-'));
    clock = T0 + 60_000;
    const log = (id: string) =>
      new DynamoDbAuditLog({ client, tableName: tables.audit, now, writer: 'test', newChainId: () => id });
    chainA = 'chain-a';
    chainB = 'chain-b';
    const a = log(chainA);
    const b = log(chainB);
    for (let i = 1; i <= 8; i += 1) await a.append(event(i));
    for (let i = 101; i <= 104; i += 1) await b.append(event(i));
    reader = new DynamoDbAuditReader({ client, tableName: tables.audit, now });
    store = new FileCheckpointStore(join(dir, 'checkpoints', tables.audit));
    checkpoints = new AuditCheckpoints({
      chains: reader,
      store,
      signer: NodeCryptoCheckpointSigner.generate(),
      trail: tables.audit,
      retentionDays: 400,
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => client.destroy());

  it('verifies clean against a fresh checkpoint, and says when there is no anchor', async () => {
    const unanchored = await verifyTrail(reader, checkpoints, clock);
    expect(unanchored).toMatchObject({ ok: true, chains: 2, records: 12, anchor: null });
    const written = await checkpoints.write(clock);
    expect(written).toMatchObject({ seq: 1, chains: 2, records: 12, flagged: [] });
    const anchored = await verifyTrail(reader, checkpoints, clock);
    expect(anchored).toMatchObject({ ok: true, chains: 2, records: 12, breaks: [] });
    expect(anchored.anchor).toMatchObject({ checkpoint: 1, chains: 2, records: 12 });
  });

  describe('(a) a record moved out of its indexes by rewriting its unhashed index attributes', () => {
    it('names it misindexed, with or without a checkpoint', async () => {
      // Into another subject's export (out of user-1's), and out of every day export.
      await update(chainA, 3, 'SET gsi2pk = :other', { ':other': { S: 'SUBJECT#someone-else@example.com' } });
      await update(chainA, 5, 'REMOVE gsi1pk, gsi1sk');
      const bySubject = await reader.exportRecords({ from: T0, to: T0 + DAY, subject: 'user-1@example.com' });
      expect(bySubject.records.map((r) => `${r.chain}:${r.seq}`)).not.toContain(`${chainA}:3`);
      await expect(breaksOf(false)).resolves.toEqual(['A:misindexed@3', 'A:misindexed@5']);
      await checkpoints.write(clock);
      await expect(breaksOf(true)).resolves.toEqual(['A:misindexed@3', 'A:misindexed@5']);
    });

    it('marks a record exported through a rewritten index attribute as not intact', async () => {
      await update(chainA, 2, 'SET gsi2pk = :victim', { ':victim': { S: 'SUBJECT#victim@example.com' } });
      const page = await reader.exportRecords({ from: T0, to: T0 + DAY, subject: 'victim@example.com' });
      expect(page.records.map((r) => [r.seq, r.intact])).toEqual([[2, false]]);
    });
  });

  describe('(b) a whole chain deleted together with its registry item', () => {
    beforeEach(async () => {
      await checkpoints.write(clock);
      for (const item of await queryAll(client, tables.audit, `CHAIN#${chainB}`)) {
        await remove({ pk: item.pk!, sk: item.sk! });
      }
      await remove({ pk: { S: 'CHAINS' }, sk: { S: chainB } });
    });

    it('is named deleted, chain and every sequence number, against the checkpoint', async () => {
      const result = await verifyTrail(reader, checkpoints, clock);
      expect(result).toMatchObject({ ok: false, chains: 2 });
      expect(result.breaks.map((b) => `${b.chain}:${b.kind}@${b.seq}`)).toEqual(
        [1, 2, 3, 4].map((seq) => `${chainB}:deleted@${seq}`),
      );
    });

    it('goes unnoticed without an anchor (the limit the checkpoint closes)', async () => {
      await expect(verifyTrail(reader, undefined, clock)).resolves.toMatchObject({ ok: true, chains: 1 });
    });

    it('stays named after later checkpoints: the writer keeps the old anchor and flags the chain', async () => {
      clock += 15 * 60_000;
      const next = await checkpoints.write(clock);
      expect(next).toMatchObject({ seq: 2, chains: 2, flagged: [chainB] });
      await expect(breaksOf(true)).resolves.toEqual(['B:deleted@1', 'B:deleted@2', 'B:deleted@3', 'B:deleted@4']);
    });
  });

  describe('(c) a consistent rewrite of a chain tail and head', () => {
    /** Rewrites records from..8 of chain A with new content, recomputing every hash and link, and the head. */
    async function rewriteTail(from: number, to = 8): Promise<void> {
      let prevHash = (await getItem(chainA, seqSk(from))).prevHash!.S!;
      let last: Record<string, AttributeValue> | undefined;
      for (let seq = from; seq <= to; seq += 1) {
        const item = await getItem(chainA, seqSk(seq));
        const forged = event(seq, { outcome: 'allow', reasons: [] });
        const expiresAt = Number(item.expiresAt!.N);
        const prevExpiresAt = item.prevExpiresAt ? Number(item.prevExpiresAt.N) : undefined;
        const hash = hashRecord(prevHash, chainA, seq, forged, { expiresAt, prevExpiresAt });
        last = {
          ...item,
          prevHash: { S: prevHash },
          hash: { S: hash },
          event: {
            M: {
              ...item.event!.M!,
              outcome: { S: 'allow' },
              reasons: { L: [] },
            },
          },
        };
        await put(last);
        prevHash = hash;
      }
      const head = await getItem(chainA, 'HEAD');
      await put({ ...head, seq: { N: String(to) }, hash: { S: prevHash }, tailExpiresAt: last!.expiresAt! });
    }

    it('goes unnoticed without an anchor (the documented limit of an unkeyed chain)', async () => {
      await rewriteTail(6);
      await expect(verifyTrail(reader, undefined, clock)).resolves.toMatchObject({ ok: true, breaks: [] });
    });

    it('is named edited at the checkpointed head once a checkpoint anchors the old head', async () => {
      await checkpoints.write(clock);
      await rewriteTail(6);
      await expect(breaksOf(true)).resolves.toEqual(['A:edited@8']);
    });

    it('is still named after the next checkpoint, which refuses to advance the rewritten chain', async () => {
      await checkpoints.write(clock);
      await rewriteTail(6);
      clock += 15 * 60_000;
      await expect(checkpoints.write(clock)).resolves.toMatchObject({ seq: 2, flagged: [chainA] });
      await expect(breaksOf(true)).resolves.toEqual(['A:edited@8']);
    });

    it('a head moved backwards is named rolled_back, and the records it dropped deleted', async () => {
      await checkpoints.write(clock);
      const six = await getItem(chainA, seqSk(6));
      const head = await getItem(chainA, 'HEAD');
      await put({ ...head, seq: { N: '6' }, hash: six.hash!, tailExpiresAt: six.expiresAt! });
      // With records 7 and 8 still there, only the head lies.
      await expect(breaksOf(true)).resolves.toEqual(['A:rolled_back@8']);
      await remove(key(chainA, 7));
      await remove(key(chainA, 8));
      await expect(breaksOf(true)).resolves.toEqual(['A:deleted@7', 'A:deleted@8', 'A:rolled_back@8']);
      // Without the checkpoint, a truncated tail with a matching head looks like a shorter chain.
      await expect(breaksOf(false)).resolves.toEqual([]);
    });

    it('a tail deleted behind a head whose unhashed expiry was moved into the past is named deleted', async () => {
      await checkpoints.write(clock);
      const seven = await getItem(chainA, seqSk(7));
      const head = await getItem(chainA, 'HEAD');
      await put({ ...head, tailExpiresAt: { N: String(Math.floor(T0 / 1000) - 10) } });
      await remove(key(chainA, 8));
      expect(seven).toBeDefined();
      await expect(breaksOf(true)).resolves.toEqual(['A:deleted@8']);
    });
  });

  it('the checkpoint writer reads only what was appended since the last checkpoint', async () => {
    await checkpoints.write(clock);
    const segments: [string, number, number][] = [];
    const readSegment = reader.readSegment.bind(reader);
    jest.spyOn(reader, 'readSegment').mockImplementation((chain, from, to) => {
      segments.push([chain, from, to]);
      return readSegment(chain, from, to);
    });
    const log = new DynamoDbAuditLog({
      client,
      tableName: tables.audit,
      now,
      writer: 'test',
      newChainId: () => 'chain-c',
    });
    await log.append(event(201));
    clock += 60_000;
    await expect(checkpoints.write(clock)).resolves.toMatchObject({ seq: 2, chains: 3, records: 13, flagged: [] });
    // Chains A and B did not move (no reads); chain C is new (read from its first record).
    expect(segments).toEqual([['chain-c', 1, 1]]);
    await expect(checkpoints.write(clock, { onlyIfChanged: true })).resolves.toBeUndefined();
  });

  describe('the checkpoints themselves', () => {
    const files = () => readdirSync(join(dir, 'checkpoints', tables.audit)).sort();
    const rewrite = (name: string, change: (signed: SignedCheckpoint) => SignedCheckpoint) => {
      const file = join(dir, 'checkpoints', tables.audit, name);
      const signed = JSON.parse(readFileSync(file, 'utf8')) as SignedCheckpoint;
      chmodSync(file, 0o644);
      writeFileSync(file, JSON.stringify(change(signed)));
    };

    beforeEach(async () => {
      await checkpoints.write(clock);
      clock += 60_000;
      await checkpoints.write(clock);
    });

    it('a payload changed under its signature is a bad_checkpoint, and the older good one anchors', async () => {
      // Newest first: files()[0] is checkpoint 2.
      rewrite(files()[0]!, (s) => ({ ...s, payload: s.payload.replace('"records":12', '"records":13') }));
      const result = await verifyTrail(reader, checkpoints, clock);
      expect(result.breaks).toEqual([{ chain: 'checkpoint', seq: 2, kind: 'bad_checkpoint' }]);
      expect(result.anchor).toMatchObject({ checkpoint: 1 });
      await expect(checkpoints.write(clock)).rejects.toThrow(/checkpoint 2: does not verify/);
    });

    it('a checkpoint signed with another key is a bad_checkpoint', async () => {
      const other = NodeCryptoCheckpointSigner.generate();
      const forged = async (s: SignedCheckpoint) =>
        Buffer.from(await other.sign(Buffer.from(s.payload))).toString('base64');
      const file = join(dir, 'checkpoints', tables.audit, files()[0]!);
      const signed = JSON.parse(readFileSync(file, 'utf8')) as SignedCheckpoint;
      const signature = await forged(signed);
      rewrite(files()[0]!, (s) => ({ ...s, keyId: other.keyId, signature }));
      await expect(breaksOf(true)).resolves.toEqual(['checkpoint:bad_checkpoint@2']);
    });

    it('a checkpoint that does not link to its predecessor is a bad_checkpoint', async () => {
      const first = JSON.parse(readFileSync(join(dir, 'checkpoints', tables.audit, files()[1]!), 'utf8')) as {
        payload: string;
      };
      expect(JSON.parse(readFileSync(join(dir, 'checkpoints', tables.audit, files()[0]!), 'utf8'))).toMatchObject({
        payload: expect.stringContaining(`"prev":"${checkpointDigest(first.payload)}"`) as unknown,
      });
      rewrite(files()[1]!, (s) => ({
        ...s,
        payload: s.payload.replace(/"at":"[^"]+"/, '"at":"2000-01-01T00:00:00.000Z"'),
      }));
      // Checkpoint 1 no longer opens (its signature fails) and checkpoint 2 no longer links to what is stored.
      await expect(breaksOf(true)).resolves.toEqual(['checkpoint:bad_checkpoint@1']);
    });
  });
});
