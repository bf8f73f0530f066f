import { randomBytes } from 'node:crypto';
import { GetItemCommand, QueryCommand, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';
import { SignedCursorCodec, type CursorCodec } from '../../core/paging/signed-cursor';
import type { Clock } from '../../ports/clock';
import {
  InvalidCursorError,
  type AdminEventStore,
  type Feedback,
  type Page,
  type RecordedEvent,
  type ReplayPage,
  type ShadowPage,
  type TimeWindow,
} from '../../ports/admin-event-store';
import { BATCH_GET_MAX_KEYS, batchGetAll } from './batch-get';
import {
  dayPartition,
  DECISION_PREFIX,
  decisionKey,
  feedbackUpdate,
  recordedDecisionFromItem,
  userEventsPartition,
} from './items/decision';
import { itemKey, keyAttributes, type Item } from './items/item';
import { isLive } from './items/ttl';
import { auditedTransaction, NamedTransaction, type AuditPreparer } from './transaction';
import type { TableNames } from '../../contracts/tables';

/**
 * The admin view of recorded decisions in the risk table (items `DECISION#<id>`, written by the decide path):
 *
 * - a user's history through the byUser index (gsi2pk `USER#<userId>`, newest first);
 * - replay windows through the byTime index (gsi1pk `EVENTS#<YYYY-MM-DD>`, gsi1sk `<iso>#<decisionId>`), day by
 *   day in time order, with the decision's stored replay input;
 * - shadow runs: the same index, filtered on the decision's top-level `shadowRun` attribute;
 * - feedback labels, kept ON the decision item (`feedbackLabel`, `feedbackNote`, `feedbackBy`, `feedbackAt`,
 *   `feedbackRevision`). A label belongs to exactly one decision and expires with it; keeping it there makes a
 *   replay of 10,000 events read 10,000 items, not 20,000, and a label can never outlive (or precede) the event it
 *   judges. Removing a label is an update too (no deletes); each change's before/after is in the audit trail.
 *
 * Both indexes project only the keys, `expiresAt` and `shadowRun` (table-definitions.ts): a query finds the
 * decisions, then their items are read by key, 100 per BatchGetItem, in the index's order.
 *
 * TTL deletes lazily, so every read drops items whose `expiresAt` has passed.
 */
const DAY_MS = 86_400_000;

/** Scopes of this store's cursors (see SignedCursorCodec): a cursor of one listing does not open in another. */
const USER_EVENTS_CURSOR = 'admin.user-events';
const WINDOW_CURSOR = 'admin.window';

/** A LastEvaluatedKey of our own indexes: string attributes only. */
function asKey(value: unknown, names: readonly string[]): Item {
  if (typeof value !== 'object' || value === null)
    throw new InvalidCursorError('cursor: not a cursor this API produced');
  const out: Item = {};
  for (const name of names) {
    const s = (value as Record<string, unknown>)[name];
    if (typeof s !== 'string' || s.length > 2048)
      throw new InvalidCursorError('cursor: not a cursor this API produced');
    out[name] = { S: s };
  }
  return out;
}

function plainKey(item: Item | undefined, names: readonly string[]): Record<string, string> | undefined {
  if (!item) return undefined;
  const out: Record<string, string> = {};
  for (const name of names) out[name] = item[name]?.S ?? '';
  return out;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const USER_KEY = ['pk', 'sk', 'gsi2pk', 'gsi2sk'] as const;
const TIME_KEY = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

interface WindowCursor {
  /** The day partition being read. */
  d: string;
  k?: Record<string, string>;
}

export interface DynamoDbAdminStoreOptions {
  readonly audit?: AuditPreparer;
  readonly clock: Clock;
  /**
   * Signs page cursors. Every instance serving one API must share its key (the application secret's cursorKey);
   * the default, a random key per instance, suits a single process.
   */
  readonly cursors?: CursorCodec;
}

export class DynamoDbAdminStore implements AdminEventStore {
  private readonly cursors: CursorCodec;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
    private readonly options: DynamoDbAdminStoreOptions,
  ) {
    this.cursors = options.cursors ?? new SignedCursorCodec(randomBytes(32));
  }

  private live(item: Item): boolean {
    return isLive(item, this.options.clock());
  }

  /**
   * The decision items behind index entries, in the entries' order. An item deleted (or expired) between the index
   * read and this one is left out, as the index itself would have left it out a moment later.
   */
  private async itemsOf(entries: readonly Item[]): Promise<Item[]> {
    const byKey = new Map<string, Item>();
    const chunks: Item[][] = [];
    for (let i = 0; i < entries.length; i += BATCH_GET_MAX_KEYS) chunks.push(entries.slice(i, i + BATCH_GET_MAX_KEYS));
    // A few requests in flight: a 10,000-event replay page is 100 of them.
    for (let i = 0; i < chunks.length; i += 4) {
      const reads = chunks
        .slice(i, i + 4)
        .map((chunk) =>
          batchGetAll(this.client, { [this.tables.risk]: { Keys: chunk.map((e) => ({ pk: e.pk!, sk: e.sk! })) } }),
        );
      for (const found of await Promise.all(reads)) {
        for (const item of found.get(this.tables.risk) ?? []) byKey.set(itemKey(item), item);
      }
    }
    const out: Item[] = [];
    for (const entry of entries) {
      const item = byKey.get(itemKey(entry));
      if (item && this.live(item)) out.push(item);
    }
    return out;
  }

  async userEvents(userId: string, page: { limit: number; cursor?: string }): Promise<Page<RecordedEvent>> {
    const partition = userEventsPartition(userId);
    let start: Item | undefined;
    if (page.cursor) {
      start = asKey(await this.cursors.open(USER_EVENTS_CURSOR, page.cursor), USER_KEY);
      // A cursor only continues the listing it came from: it cannot be bent to page through another user.
      if (start.gsi2pk?.S !== partition) throw new InvalidCursorError('cursor: belongs to another listing');
    }
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.risk,
        IndexName: 'byUser',
        KeyConditionExpression: 'gsi2pk = :u',
        ExpressionAttributeValues: { ':u': { S: partition } },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const items = await this.itemsOf(
      (out.Items ?? []).filter((i) => this.live(i) && i.pk?.S?.startsWith(DECISION_PREFIX)),
    );
    const next = plainKey(out.LastEvaluatedKey, USER_KEY);
    return {
      items: items.map((i) => recordedDecisionFromItem(i).recorded),
      ...(next ? { cursor: await this.cursors.seal(USER_EVENTS_CURSOR, next) } : {}),
    };
  }

  async getEvent(decisionId: string): Promise<RecordedEvent | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tables.risk,
        Key: keyAttributes(decisionKey(decisionId)),
        ConsistentRead: true,
      }),
    );
    return out.Item && this.live(out.Item) ? recordedDecisionFromItem(out.Item).recorded : undefined;
  }

  async setFeedback(
    decisionId: string,
    feedback: Feedback | undefined,
    expectedRevision: number,
    audit: AuditEvent,
  ): Promise<'written' | 'changed' | 'not_found'> {
    const change = new NamedTransaction().add(
      'decision',
      feedbackUpdate(this.tables.risk, decisionId, feedback, expectedRevision),
    );
    const result = await auditedTransaction(this.client, change, [audit], this.options.audit);
    if (result.ok) return 'written';
    return (await this.getEvent(decisionId)) ? 'changed' : 'not_found';
  }

  /**
   * Reads `window` from the byTime index, day partition by day partition, until `limit` matching items were read
   * or the window ends. Returns the items and where to continue.
   */
  private async readWindow(
    window: TimeWindow,
    page: { limit: number; cursor?: string },
    filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeValues'>,
  ): Promise<{ items: Item[]; cursor?: string; position: number }> {
    const lastDay = dayOf(Math.max(window.from, window.to - 1));
    let cursor: WindowCursor = { d: dayOf(window.from) };
    if (page.cursor) {
      const decoded = (await this.cursors.open(WINDOW_CURSOR, page.cursor)) as Partial<WindowCursor> | null;
      if (!decoded || typeof decoded.d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(decoded.d)) {
        throw new InvalidCursorError('cursor: not a cursor this API produced');
      }
      cursor = { d: decoded.d, ...(decoded.k ? { k: plainKey(asKey(decoded.k, TIME_KEY), TIME_KEY)! } : {}) };
      if (cursor.d < dayOf(window.from) || cursor.d > lastDay)
        throw new InvalidCursorError('cursor: outside this window');
    }
    const fromIso = new Date(window.from).toISOString();
    const toIso = new Date(window.to).toISOString();
    const items: Item[] = [];
    let position = window.from;
    while (items.length < page.limit && window.from < window.to) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tables.risk,
          IndexName: 'byTime',
          // gsi1sk is `<iso>#<id>`: `>= fromIso` and `< toIso` on the timestamp prefix, as string order.
          KeyConditionExpression: 'gsi1pk = :day AND gsi1sk BETWEEN :lo AND :hi',
          ...(filter?.FilterExpression ? { FilterExpression: filter.FilterExpression } : {}),
          ExpressionAttributeValues: {
            ':day': { S: dayPartition(cursor.d) },
            ':lo': { S: fromIso },
            ':hi': { S: toIso },
            ...(filter?.ExpressionAttributeValues ?? {}),
          },
          Limit: Math.min(1000, page.limit - items.length),
          ...(cursor.k ? { ExclusiveStartKey: asKey(cursor.k, TIME_KEY) } : {}),
        }),
      );
      for (const item of out.Items ?? []) if (this.live(item)) items.push(item);
      const next = plainKey(out.LastEvaluatedKey, TIME_KEY);
      if (next) {
        cursor = { d: cursor.d, k: next };
        const at = Date.parse(next.gsi1sk?.slice(0, 24) ?? '');
        if (Number.isFinite(at)) position = Math.max(position, at);
        continue;
      }
      const dayEnd = Date.parse(`${cursor.d}T00:00:00.000Z`) + DAY_MS;
      position = Math.max(position, Math.min(dayEnd, window.to));
      if (cursor.d >= lastDay) return { items: await this.itemsOf(items), position: window.to };
      cursor = { d: dayOf(dayEnd) };
    }
    return {
      items: await this.itemsOf(items),
      ...(window.from < window.to ? { cursor: await this.cursors.seal(WINDOW_CURSOR, cursor) } : {}),
      position,
    };
  }

  async replayEvents(window: TimeWindow, page: { limit: number; cursor?: string }): Promise<ReplayPage> {
    const read = await this.readWindow(window, page);
    return {
      items: read.items.map((i) => recordedDecisionFromItem(i).replay),
      ...(read.cursor ? { cursor: read.cursor } : {}),
      position: read.position,
    };
  }

  async shadowEvents(runId: string, window: TimeWindow, page: { limit: number; cursor?: string }): Promise<ShadowPage> {
    const read = await this.readWindow(window, page, {
      FilterExpression: 'shadowRun = :run',
      ExpressionAttributeValues: { ':run': { S: runId } },
    });
    const items = [];
    for (const item of read.items) {
      const decoded = recordedDecisionFromItem(item);
      if (decoded.recorded.shadow) items.push({ event: decoded.replay, shadow: decoded.recorded.shadow });
    }
    return { items, ...(read.cursor ? { cursor: read.cursor } : {}), position: read.position };
  }
}
