import { randomBytes } from 'node:crypto';
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { matchesFilter } from '../../application/console-reads/console-views';
import { InvalidCursorError, SignedCursorCodec, type CursorCodec } from '../../core/paging/signed-cursor';
import type { UserProfile } from '../../core/risk/types';
import type { Clock } from '../../ports/clock';
import type { RecordedEvent } from '../../ports/admin-event-store';
import type { ConsoleReadStore, DecisionStreamPage, DecisionStreamQuery } from '../../ports/console-read-store';
import type { TableNames } from '../../contracts/tables';
import { BATCH_GET_MAX_KEYS, batchGetAll } from './batch-get';
import { recordedDecisionFromItem } from './items/decision';
import { itemKey, keyAttributes, type Item } from './items/item';
import { profileFromItem, profileKey } from './items/profile';
import { isLive } from './items/ttl';

/**
 * The console's reads of the risk table, on the indexes the decide path already maintains (nothing is added to a
 * decision's write):
 *
 * - the decision stream, newest first: the byUser index when the filter names a user (gsi2pk `USER#<id>`), else
 *   the byTime index day partition by day partition backwards (gsi1pk `EVENTS#<day>`); both keep their sort key
 *   `<iso>#<decisionId>`, so the window is a key condition. The indexes project only keys, so each page reads its
 *   decision items by key (BatchGetItem) and filters action, decision, reason and address on them; a page stops
 *   after `scanLimit` index entries whatever matched, and its cursor continues from there;
 * - a user's profile item (`USER#<id>` / `PROFILE`).
 *
 * TTL deletes lazily: expired entries and items are skipped.
 */
const STREAM_CURSOR = 'console.decisions';
const DAY_MS = 86_400_000;
const KEY_NAMES = { byTime: ['pk', 'sk', 'gsi1pk', 'gsi1sk'], byUser: ['pk', 'sk', 'gsi2pk', 'gsi2sk'] } as const;

interface StreamCursor {
  /** Day partition being read (byTime only). */
  d?: string;
  /** Where the last query stopped (its LastEvaluatedKey, string attributes). */
  k?: Record<string, string>;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface DynamoDbConsoleReadsOptions {
  readonly clock: Clock;
  /** Signs page cursors (the application secret's cursor key, shared by every instance). */
  readonly cursors?: CursorCodec;
}

export class DynamoDbConsoleReads implements ConsoleReadStore {
  private readonly cursors: CursorCodec;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
    private readonly options: DynamoDbConsoleReadsOptions,
  ) {
    this.cursors = options.cursors ?? new SignedCursorCodec(randomBytes(32));
  }

  private live(item: Item): boolean {
    return isLive(item, this.options.clock());
  }

  async profile(userId: string): Promise<UserProfile | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tables.risk, Key: keyAttributes(profileKey(userId)) }),
    );
    try {
      return profileFromItem(out.Item).profile;
    } catch {
      return undefined;
    }
  }

  /**
   * The cursor seals the whole query (window and filter) with where it stopped: continuing is "send it back", and
   * a cursor cannot be bent to read another user's decisions or another window.
   */
  async recentDecisions(query: DecisionStreamQuery): Promise<DecisionStreamPage> {
    const index = query.filter.userId !== undefined ? 'byUser' : 'byTime';
    const names = KEY_NAMES[index];
    const fingerprint = JSON.stringify([query.window.from, query.window.to, query.filter]);
    let state: StreamCursor = index === 'byTime' ? { d: dayOf(query.window.to - 1) } : {};
    if (query.cursor) state = await this.openCursor(query.cursor, fingerprint, names);
    const lo = new Date(query.window.from).toISOString();
    const hi = new Date(query.window.to).toISOString();
    const firstDay = dayOf(query.window.from);
    const matched: RecordedEvent[] = [];
    let scanned = 0;
    for (;;) {
      const budget = query.scanLimit - scanned;
      if (budget <= 0 || matched.length >= query.limit) break;
      const partition = index === 'byUser' ? `USER#${query.filter.userId}` : `EVENTS#${state.d}`;
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tables.risk,
          IndexName: index,
          // The sort key starts with the ISO time, so the window is a range of it (`<` hi: hi sorts below `hi#...`).
          KeyConditionExpression: `${names[2]} = :p AND ${names[3]} BETWEEN :lo AND :hi`,
          ExpressionAttributeValues: { ':p': { S: partition }, ':lo': { S: lo }, ':hi': { S: hi } },
          ScanIndexForward: false,
          Limit: Math.min(budget, 200, query.limit - matched.length),
          ...(state.k
            ? { ExclusiveStartKey: Object.fromEntries(names.map((n) => [n, { S: state.k![n] ?? '' }])) }
            : {}),
        }),
      );
      const entries = (out.Items ?? []).filter((i) => this.live(i) && i.pk?.S?.startsWith('DECISION#'));
      scanned += out.Items?.length ?? 0;
      for (const event of await this.eventsOf(entries)) {
        if (matchesFilter(event, query.filter)) matched.push(event);
      }
      const last = out.LastEvaluatedKey;
      if (last) {
        state = { ...state, k: Object.fromEntries(names.map((n) => [n, last[n]?.S ?? ''])) };
        continue;
      }
      if (index === 'byUser' || state.d === undefined || state.d <= firstDay) {
        state = {};
        return { items: matched, scanned };
      }
      state = { d: dayOf(Date.parse(`${state.d}T00:00:00.000Z`) - DAY_MS) };
    }
    return {
      items: matched,
      scanned,
      cursor: await this.cursors.seal(STREAM_CURSOR, { q: fingerprint, ...state }),
    };
  }

  private async openCursor(cursor: string, fingerprint: string, names: readonly string[]): Promise<StreamCursor> {
    const opened = (await this.cursors.open(STREAM_CURSOR, cursor)) as { q?: unknown; d?: unknown; k?: unknown } | null;
    if (!opened || opened.q !== fingerprint) throw new InvalidCursorError('cursor: belongs to another query');
    const state: StreamCursor = {};
    if (opened.d !== undefined) {
      if (typeof opened.d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(opened.d)) throw new InvalidCursorError();
      state.d = opened.d;
    }
    if (opened.k !== undefined) {
      const k = opened.k as Record<string, unknown>;
      if (typeof k !== 'object' || k === null || names.some((n) => typeof k[n] !== 'string')) {
        throw new InvalidCursorError();
      }
      state.k = Object.fromEntries(names.map((n) => [n, k[n] as string]));
    }
    return state;
  }

  /** The decision items behind index entries, in the entries' order (missing or expired ones left out). */
  private async eventsOf(entries: readonly Item[]): Promise<RecordedEvent[]> {
    const byKey = new Map<string, Item>();
    for (let i = 0; i < entries.length; i += BATCH_GET_MAX_KEYS) {
      const chunk = entries.slice(i, i + BATCH_GET_MAX_KEYS);
      const found = await batchGetAll(this.client, {
        [this.tables.risk]: { Keys: chunk.map((e) => ({ pk: e.pk!, sk: e.sk! })) },
      });
      for (const item of found.get(this.tables.risk) ?? []) byKey.set(itemKey(item), item);
    }
    const out: RecordedEvent[] = [];
    for (const entry of entries) {
      const item = byKey.get(itemKey(entry));
      if (item && this.live(item)) out.push(recordedDecisionFromItem(item).recorded);
    }
    return out;
  }
}
