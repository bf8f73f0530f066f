import type { CursorCodec } from '../../core/paging/signed-cursor';
import type { AdminEventStore, RecordedEvent, TimeWindow } from '../../ports/admin-event-store';
import type { AuditLog, AuditReader } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { ConsoleReadStore, DecisionStreamPage } from '../../ports/console-read-store';
import type { PolicyRecord } from '../../ports/policy-store';
import type { UserActor } from '../actor';
import { recordRead } from '../audit-read/record-read';
import { InvalidInputError } from '../errors';
import { cursorSafe } from '../replay/replay-chunk';
import { DAY_MS, windowOf } from '../replay/time-window';
import { OverviewTally, trustedProfileView, type DecisionFilter, type OverviewTotals } from './console-views';
import type { TrustedProfileView } from './console-views';

/**
 * The reads the security console needs beyond the tuning and audit APIs: the filtered decision stream, a user's
 * trusted contexts, and the overview's hourly tallies. Each returns personal data or counts of the audit trail, so
 * each is recorded (`admin.read`) before anything is returned; if the record cannot be written, nothing is.
 */

/** Index entries examined per decision-stream page, whatever matched: the cost ceiling of one call. */
export const STREAM_SCAN_LIMIT = 1000;
/** Audit records counted per overview call before it answers with a cursor. */
export const OVERVIEW_CHUNK_RECORDS = 20_000;
/** Newest decisions read to find when each trusted context was learned. */
export const PROFILE_HISTORY_LIMIT = 1000;
const OVERVIEW_CURSOR = 'console.overview';
/** Audit records per export page while counting. */
const OVERVIEW_PAGE_RECORDS = 1000;

export interface ConsoleReadRequest {
  readonly actor: UserActor;
  readonly requestId: string;
}

export interface DecisionStreamDependencies {
  readonly reads: Pick<ConsoleReadStore, 'recentDecisions'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
}

/** The newest decisions of a window (a week before `to` by default) that match `filter`, a bounded page at a time. */
export async function decisionStream(
  deps: DecisionStreamDependencies,
  request: ConsoleReadRequest & {
    from?: string;
    to?: string;
    filter: DecisionFilter;
    limit: number;
    cursor?: string;
  },
): Promise<DecisionStreamPage & { window: TimeWindow }> {
  const window = windowOf(request.from, request.to, deps.clock());
  const page = await cursorSafe(
    deps.reads.recentDecisions({
      window,
      filter: request.filter,
      limit: request.limit,
      scanLimit: STREAM_SCAN_LIMIT,
      ...(request.cursor ? { cursor: request.cursor } : {}),
    }),
  );
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'decisions.read',
    ...(request.filter.userId !== undefined ? { subject: request.filter.userId } : {}),
    data: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      filter: Object.keys(request.filter).join(',') || 'none',
      decisions: page.items.length,
      continued: request.cursor !== undefined,
    },
  });
  return { ...page, window };
}

export interface TrustedContextsDependencies {
  readonly reads: Pick<ConsoleReadStore, 'profile'>;
  readonly events: Pick<AdminEventStore, 'userEvents'>;
  readonly activePolicy: () => Promise<PolicyRecord>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
}

/** A user's trusted contexts, and when and why each became trusted (from the user's newest decisions). */
export async function trustedContexts(
  deps: TrustedContextsDependencies,
  request: ConsoleReadRequest & { userId: string },
): Promise<TrustedProfileView> {
  const { userId } = request;
  const [profile, policy] = await Promise.all([deps.reads.profile(userId), deps.activePolicy()]);
  const history: RecordedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.events.userEvents(userId, {
      limit: Math.min(200, PROFILE_HISTORY_LIMIT - history.length),
      ...(cursor ? { cursor } : {}),
    });
    history.push(...page.items);
    cursor = page.cursor;
  } while (cursor && history.length < PROFILE_HISTORY_LIMIT);
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'users.profile.read',
    subject: userId,
    data: { decisions: history.length },
  });
  return trustedProfileView(userId, profile, history, policy.policy.learning.trustBelowScore, cursor === undefined);
}

export interface OverviewDependencies {
  readonly auditReader: Pick<AuditReader, 'exportRecords'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly cursors: CursorCodec;
  /** Records counted per call (default OVERVIEW_CHUNK_RECORDS). */
  readonly chunkRecords?: number;
}

export interface OverviewChunk {
  readonly window: TimeWindow;
  /** Present until the window is counted: pass it back for the next chunk, then add the chunks' totals. */
  readonly cursor?: string;
  /** How far the count has come (the window's end once complete). */
  readonly position: number;
  readonly totals: OverviewTotals;
}

/** The window the cursor carries, so a default window ("the last 24 hours") cannot drift between chunks. */
async function openOverviewCursor(
  cursors: CursorCodec,
  cursor: string,
): Promise<{ window: TimeWindow; inner: string }> {
  const opened = (await cursorSafe(cursors.open(OVERVIEW_CURSOR, cursor))) as { f?: unknown; t?: unknown; c?: unknown };
  if (
    typeof opened !== 'object' ||
    opened === null ||
    typeof opened.f !== 'number' ||
    typeof opened.t !== 'number' ||
    typeof opened.c !== 'string'
  ) {
    throw new InvalidInputError('cursor: not a cursor this API produced', 'cursor');
  }
  return { window: { from: opened.f, to: opened.t }, inner: opened.c };
}

/**
 * Hourly tallies of decisions, step-ups and stuffing bursts and the top reasons of a window (the last day before
 * `to` by default), counted from the audit trail a chunk at a time.
 */
export async function overviewChunk(
  deps: OverviewDependencies,
  request: ConsoleReadRequest & { from?: string; to?: string; cursor?: string },
): Promise<OverviewChunk> {
  const chunk = Math.max(1, deps.chunkRecords ?? OVERVIEW_CHUNK_RECORDS);
  let window: TimeWindow;
  let inner: string | undefined;
  if (request.cursor) {
    ({ window, inner } = await openOverviewCursor(deps.cursors, request.cursor));
  } else {
    const to = windowOf(undefined, request.to, deps.clock()).to;
    window = request.from === undefined ? { from: to - DAY_MS, to } : windowOf(request.from, request.to, deps.clock());
  }
  const tally = new OverviewTally();
  let read = 0;
  let position = window.from;
  do {
    const page = await cursorSafe(
      deps.auditReader.exportRecords({
        from: window.from,
        to: window.to,
        limit: Math.min(OVERVIEW_PAGE_RECORDS, chunk - read),
        ...(inner ? { cursor: inner } : {}),
      }),
    );
    for (const record of page.records) {
      tally.add(record.event);
      position = Math.max(position, Date.parse(record.event.at) || position);
    }
    read += page.records.length;
    inner = page.cursor;
  } while (inner && read < chunk);
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'overview.read',
    data: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      records: read,
      continued: request.cursor !== undefined,
    },
  });
  return {
    window,
    ...(inner ? { cursor: await deps.cursors.seal(OVERVIEW_CURSOR, { f: window.from, t: window.to, c: inner }) } : {}),
    position: inner ? position : window.to,
    totals: tally.totals(),
  };
}
