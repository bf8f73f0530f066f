import { createHash } from 'node:crypto';
import {
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_EXPORT_LIMIT, InvalidAuditQueryError, MAX_EXPORT_LIMIT } from '../../core/audit/audit-query';
import type { AuditEvent } from '../../core/audit/audit-event';
import {
  hashRecord,
  verifyChain,
  type ChainHead,
  type ChainVerification,
  type StoredRecord,
} from '../../core/audit/hash-chain';
import type {
  AuditExportQuery,
  AuditPage,
  AuditReader,
  AuditVerificationSummary,
  ExportedRecord,
} from '../../ports/audit-log';
import { CHAINS_PK, chainPk, fromAttributeMap, HEAD_SK, parseSeqSk, subjectPk } from './dynamodb-audit-items';

/** Days (one Query each) one export page may walk before answering, so a sparse year cannot time out a request. */
const MAX_DAYS_PER_PAGE = 62;
const VERIFY_CONCURRENCY = 8;
const DAY_MS = 86_400_000;

export interface DynamoDbAuditReaderOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Epoch ms; records whose retention ended are left out of exports (TTL deletes lazily). */
  readonly now?: () => number;
}

export interface StoredChain {
  readonly chainId: string;
  /** `null` when the chain has records (or a registry entry) but no head item. */
  readonly head: ChainHead | null;
  readonly records: StoredRecord[];
  /** Records committed while the chain was being read; they are verified next time. */
  readonly appendedDuringRead: number;
}

interface CursorState {
  readonly v: 1;
  /** Hash of the query it belongs to, so a cursor cannot be replayed against another range or subject. */
  readonly q: string;
  /** byTime: the UTC day to continue with. */
  readonly d?: string;
  readonly k?: Record<string, AttributeValue>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function queryFingerprint(query: AuditExportQuery): string {
  return createHash('sha256')
    .update(`${query.from}|${query.to}|${query.subject ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeCursor(raw: string, query: AuditExportQuery): CursorState {
  let state: CursorState;
  try {
    state = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorState;
  } catch {
    throw new InvalidAuditQueryError('cursor', 'not a cursor returned by this API');
  }
  const keyOk =
    state?.k === undefined ||
    (typeof state.k === 'object' &&
      state.k !== null &&
      Object.values(state.k).every((v) => typeof (v as AttributeValue | undefined)?.S === 'string'));
  const dayOk = state?.d === undefined || (typeof state.d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(state.d));
  if (typeof state !== 'object' || state === null || state.v !== 1 || !keyOk || !dayOk) {
    throw new InvalidAuditQueryError('cursor', 'not a cursor returned by this API');
  }
  if (state.q !== queryFingerprint(query)) {
    throw new InvalidAuditQueryError('cursor', 'belongs to a different from/to/subject');
  }
  return state;
}

function toStoredRecord(item: Record<string, AttributeValue>): StoredRecord {
  const a = fromAttributeMap(item);
  return {
    keySeq: parseSeqSk(str(a.sk) ?? ''),
    chainId: a.chainId,
    seq: a.seq,
    prevHash: a.prevHash,
    hash: a.hash,
    expiresAt: a.expiresAt,
    prevExpiresAt: a.prevExpiresAt,
    event: a.event,
  };
}

function toHead(item: Record<string, AttributeValue>): ChainHead | null {
  const a = fromAttributeMap(item);
  const seq = num(a.seq);
  const hash = str(a.hash);
  // A head that no longer says what it must is as good as gone.
  return seq !== undefined && hash !== undefined ? { seq, hash, tailExpiresAt: num(a.tailExpiresAt) } : null;
}

function toExported(item: Record<string, AttributeValue>): ExportedRecord {
  const a = fromAttributeMap(item);
  const chain = str(a.chainId) ?? '';
  const seq = num(a.seq) ?? 0;
  const prevHash = str(a.prevHash) ?? '';
  const hash = str(a.hash) ?? '';
  const expiresAt = num(a.expiresAt);
  const prevExpiresAt = num(a.prevExpiresAt);
  const event = a.event as AuditEvent;
  let intact: boolean;
  try {
    intact = hashRecord(prevHash, chain, seq, event, { expiresAt, prevExpiresAt }) === hash;
  } catch {
    intact = false;
  }
  return { chain, seq, prevHash, hash, expiresAt, prevExpiresAt, intact, event };
}

/** Reads, exports and verifies the audit trail written by DynamoDbAuditLog (layout documented there). */
export class DynamoDbAuditReader implements AuditReader {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbAuditReaderOptions) {
    this.now = options.now ?? Date.now;
  }

  private async *query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Record<string, AttributeValue>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({ TableName: this.options.tableName, ...input, ExclusiveStartKey: startKey }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Every chain ever started, from the registry (one Query, no Scan). */
  async listChains(): Promise<string[]> {
    const ids: string[] = [];
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: CHAINS_PK } },
      ConsistentRead: true,
    })) {
      if (item.sk?.S) ids.push(item.sk.S);
    }
    return ids;
  }

  /** The head alone, by Query rather than GetItem: readers are granted Query only. */
  private async readHead(chainId: string): Promise<ChainHead | null> {
    const { Items } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND sk = :head',
        ExpressionAttributeValues: { ':pk': { S: chainPk(chainId) }, ':head': { S: HEAD_SK } },
        ConsistentRead: true,
      }),
    );
    const item = Items?.[0];
    return item ? toHead(item) : null;
  }

  /**
   * Every item under a chain's partition: its head and all records (including ones with malformed keys).
   *
   * The chain may grow while it is read: a Query is read-committed, not a snapshot, and the head sorts before
   * the records, so records appended after the head was read can show up beyond it. When that happens the head
   * is read again; records it now vouches for are left out of this verification (`appendedDuringRead`) rather
   * than reported as inserted. Records beyond even the fresh head are kept, and verification names them.
   */
  async readChain(chainId: string): Promise<StoredChain> {
    let head: ChainHead | null = null;
    let records: StoredRecord[] = [];
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: chainPk(chainId) } },
      ConsistentRead: true,
    })) {
      if (item.sk?.S === HEAD_SK) head = toHead(item);
      else records.push(toStoredRecord(item));
    }
    const seenSeq = head?.seq ?? 0;
    let appendedDuringRead = 0;
    if (records.some((r) => (r.keySeq ?? 0) > seenSeq)) {
      const fresh = await this.readHead(chainId);
      if (fresh && head && fresh.seq > head.seq) {
        const before = records.length;
        records = records.filter((r) => r.keySeq === undefined || r.keySeq <= seenSeq || r.keySeq > fresh.seq);
        appendedDuringRead = before - records.length;
      }
    }
    return { chainId, head, records, appendedDuringRead };
  }

  async verifyChain(chainId: string, now: number): Promise<ChainVerification> {
    const { head, records } = await this.readChain(chainId);
    return verifyChain(chainId, records, head, now);
  }

  async *verifyEach(now: number): AsyncIterable<ChainVerification> {
    const ids = await this.listChains();
    for (let i = 0; i < ids.length; i += VERIFY_CONCURRENCY) {
      yield* await Promise.all(ids.slice(i, i + VERIFY_CONCURRENCY).map((id) => this.verifyChain(id, now)));
    }
  }

  async verifyAll(now: number): Promise<AuditVerificationSummary> {
    let chains = 0;
    let records = 0;
    const breaks = [];
    for await (const chain of this.verifyEach(now)) {
      chains += 1;
      records += chain.records;
      breaks.push(...chain.breaks);
    }
    return { ok: breaks.length === 0, chains, records, breaks };
  }

  /**
   * Records with `at` in [from, to), oldest first within each UTC day (by subject: oldest first overall), at
   * most `limit` per page, leaving out records whose retention has ended. Reads the byTime index (one Query per
   * day) or, with `subject`, the bySubject index.
   */
  async exportRecords(query: AuditExportQuery): Promise<AuditPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_EXPORT_LIMIT)), MAX_EXPORT_LIMIT);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query);
    const fromIso = new Date(query.from).toISOString();
    const toIso = new Date(query.to).toISOString();
    const nowSeconds = this.now() / 1000;
    const records: ExportedRecord[] = [];
    const keep = (item: Record<string, AttributeValue>) => {
      const expiresAt = item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N);
      if (expiresAt === undefined || expiresAt > nowSeconds) records.push(toExported(item));
    };
    const page = async (input: Omit<QueryCommandInput, 'TableName'>) => {
      const result = await this.options.client.send(
        new QueryCommand({ TableName: this.options.tableName, ...input, Limit: limit - records.length }),
      );
      for (const item of result.Items ?? []) keep(item);
      return result.LastEvaluatedKey;
    };
    const fingerprint = queryFingerprint(query);

    if (query.subject !== undefined) {
      let startKey = cursor?.k;
      do {
        startKey = await page({
          IndexName: 'bySubject',
          KeyConditionExpression: 'gsi2pk = :s AND gsi2sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':s': { S: subjectPk(query.subject) },
            ':from': { S: fromIso },
            ':to': { S: toIso },
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        });
      } while (startKey && records.length < limit);
      return { records, ...(startKey ? { cursor: encodeCursor({ v: 1, q: fingerprint, k: startKey }) } : {}) };
    }

    const lastDay = dayOf(query.to - 1);
    let day = cursor?.d ?? dayOf(query.from);
    if (day < dayOf(query.from) || day > lastDay)
      throw new InvalidAuditQueryError('cursor', 'outside the requested range');
    let startKey = cursor?.k;
    let daysWalked = 0;
    while (day <= lastDay && records.length < limit && daysWalked < MAX_DAYS_PER_PAGE) {
      startKey = await page({
        IndexName: 'byTime',
        KeyConditionExpression: 'gsi1pk = :d AND gsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':d': { S: `DAY#${day}` }, ':from': { S: fromIso }, ':to': { S: toIso } },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      if (!startKey) {
        day = dayOf(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS);
        daysWalked += 1;
      }
    }
    const more = day <= lastDay;
    return {
      records,
      ...(more ? { cursor: encodeCursor({ v: 1, q: fingerprint, d: day, ...(startKey ? { k: startKey } : {}) }) } : {}),
    };
  }
}
