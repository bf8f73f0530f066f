import { createHash, randomBytes } from 'node:crypto';
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
  type AnchoredHead,
  type ChainHead,
  type ChainVerification,
  type StoredRecord,
} from '../../core/audit/hash-chain';
import { InvalidCursorError, SignedCursorCodec, type CursorCodec } from '../../core/paging/signed-cursor';
import type {
  AuditChainReader,
  AuditExportQuery,
  AuditPage,
  AuditReader,
  AuditVerificationSummary,
  ExportedRecord,
} from '../../ports/audit-log';
import {
  CHAINS_PK,
  chainPk,
  fromAttributeMap,
  HEAD_SK,
  indexedAsContent,
  parseSeqSk,
  seqSk,
  subjectPk,
} from './items/audit';

/** Days (one Query each) one export page may walk before answering, so a sparse year cannot time out a request. */
const MAX_DAYS_PER_PAGE = 62;
const VERIFY_CONCURRENCY = 8;
const DAY_MS = 86_400_000;
const CURSOR_SCOPE = 'audit.export';

export interface DynamoDbAuditReaderOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Epoch ms; records whose retention ended are left out of exports (TTL deletes lazily). */
  readonly now?: () => number;
  /**
   * Signs export cursors. Every instance serving one API must share its key (the application secret's cursorKey);
   * the default, a random key per instance, suits a single process such as the CLI.
   */
  readonly cursors?: CursorCodec;
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
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function queryFingerprint(query: AuditExportQuery): string {
  return createHash('sha256')
    .update(`${query.from}|${query.to}|${query.subject ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
}

/**
 * The ExclusiveStartKey of an index Query must be exactly a base-table key plus that index's key, all strings,
 * and belong to the partition being read; anything else makes DynamoDB refuse the request. A signed cursor holds
 * only keys this reader produced, but the shape is checked anyway, after the signature: cheap, and it keeps a
 * leaked signing key from turning into 500s.
 */
function validStartKey(k: unknown, index: 'gsi1' | 'gsi2', partition: string): k is Record<string, AttributeValue> {
  if (typeof k !== 'object' || k === null || Array.isArray(k)) return false;
  const names = ['pk', 'sk', `${index}pk`, `${index}sk`];
  const entries = Object.entries(k as Record<string, unknown>);
  if (entries.length !== names.length || !entries.every(([name]) => names.includes(name))) return false;
  const s = (name: string): string | undefined => {
    const v = (k as Record<string, { S?: unknown } | undefined>)[name];
    return v && Object.keys(v).length === 1 && typeof v.S === 'string' && v.S.length <= 1024 ? v.S : undefined;
  };
  const pk = s('pk');
  const sk = s('sk');
  return (
    pk !== undefined &&
    pk.startsWith('CHAIN#') &&
    sk !== undefined &&
    parseSeqSk(sk) !== undefined &&
    s(`${index}pk`) === partition &&
    s(`${index}sk`) !== undefined
  );
}

async function decodeCursor(codec: CursorCodec, raw: string, query: AuditExportQuery): Promise<CursorState> {
  let state: unknown;
  try {
    state = await codec.open(CURSOR_SCOPE, raw);
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new InvalidAuditQueryError('cursor', 'not a cursor returned by this API (or it was altered)');
    }
    throw error;
  }
  const shapeError = () => new InvalidAuditQueryError('cursor', 'malformed: not a cursor of this export');
  if (typeof state !== 'object' || state === null) throw shapeError();
  const { v, q, d, k } = state as Partial<Record<keyof CursorState, unknown>>;
  if (v !== 1 || typeof q !== 'string') throw shapeError();
  if (q !== queryFingerprint(query)) {
    throw new InvalidAuditQueryError('cursor', 'belongs to a different from/to/subject');
  }
  if (query.subject !== undefined) {
    if (d !== undefined || k === undefined || !validStartKey(k, 'gsi2', subjectPk(query.subject))) throw shapeError();
    return { v, q, k };
  }
  if (typeof d !== 'string' || !DAY.test(d)) throw shapeError();
  if (k !== undefined && !validStartKey(k, 'gsi1', `DAY#${d}`)) throw shapeError();
  return { v, q, d, ...(k !== undefined ? { k } : {}) };
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
    indexed: indexedAsContent(a),
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
    intact =
      hashRecord(prevHash, chain, seq, event, { expiresAt, prevExpiresAt }) === hash &&
      // Stored where its content says (not a copy under another key) and indexed as its content says.
      a.pk === chainPk(chain) &&
      a.sk === seqSk(seq) &&
      indexedAsContent(a);
  } catch {
    intact = false;
  }
  return { chain, seq, prevHash, hash, expiresAt, prevExpiresAt, intact, event };
}

/** Reads, exports and verifies the audit trail written by DynamoDbAuditLog (layout documented there). */
export class DynamoDbAuditReader implements AuditReader, AuditChainReader {
  private readonly now: () => number;
  private readonly cursors: CursorCodec;

  constructor(private readonly options: DynamoDbAuditReaderOptions) {
    this.now = options.now ?? Date.now;
    this.cursors = options.cursors ?? new SignedCursorCodec(randomBytes(32));
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
  async readHead(chainId: string): Promise<ChainHead | null> {
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

  /** Records `fromSeq` through `toSeq` of a chain, as stored (for the checkpoint writer's incremental check). */
  async readSegment(chainId: string, fromSeq: number, toSeq: number): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': { S: chainPk(chainId) },
        ':from': { S: seqSk(fromSeq) },
        ':to': { S: seqSk(toSeq) },
      },
      ConsistentRead: true,
    })) {
      records.push(toStoredRecord(item));
    }
    return records;
  }

  async verifyChain(chainId: string, now: number, anchor?: AnchoredHead): Promise<ChainVerification> {
    const { head, records } = await this.readChain(chainId);
    return verifyChain(chainId, records, head, now, anchor);
  }

  /**
   * Every chain of the registry and every chain `anchors` (the latest checkpoint) names, each verified against its
   * anchored head: a chain deleted with its registry item is still looked for, and found missing.
   */
  async *verifyEach(now: number, anchors?: ReadonlyMap<string, AnchoredHead>): AsyncIterable<ChainVerification> {
    const ids = [...new Set([...(await this.listChains()), ...(anchors?.keys() ?? [])])];
    for (let i = 0; i < ids.length; i += VERIFY_CONCURRENCY) {
      yield* await Promise.all(
        ids.slice(i, i + VERIFY_CONCURRENCY).map((id) => this.verifyChain(id, now, anchors?.get(id))),
      );
    }
  }

  async verifyAll(now: number, anchors?: ReadonlyMap<string, AnchoredHead>): Promise<AuditVerificationSummary> {
    let chains = 0;
    let records = 0;
    const breaks = [];
    for await (const chain of this.verifyEach(now, anchors)) {
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
    const cursor = query.cursor === undefined ? undefined : await decodeCursor(this.cursors, query.cursor, query);
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
      const next: CursorState | undefined = startKey ? { v: 1, q: fingerprint, k: startKey } : undefined;
      return { records, ...(next ? { cursor: await this.cursors.seal(CURSOR_SCOPE, next) } : {}) };
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
    const next: CursorState | undefined =
      day <= lastDay ? { v: 1, q: fingerprint, d: day, ...(startKey ? { k: startKey } : {}) } : undefined;
    return { records, ...(next ? { cursor: await this.cursors.seal(CURSOR_SCOPE, next) } : {}) };
  }
}
