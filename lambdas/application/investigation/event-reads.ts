import type { CursorCodec } from '../../core/paging/signed-cursor';
import type { ReplayEvent } from '../../core/simulation/simulation';
import type { AdminEventStore, Page, RecordedEvent, ReplayPage, TimeWindow } from '../../ports/admin-event-store';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { UserActor } from '../actor';
import { recordRead } from '../audit-read/record-read';
import { recordedDecision } from '../feedback/label-decision';
import { cursorSafe } from '../replay/replay-chunk';
import { windowOf } from '../replay/time-window';
import { openWindowCursor, sealWindowCursor } from '../replay/window-cursor';

/**
 * Reads of recorded decisions, for investigators. Each returns personal data (user ids, places, devices), so each
 * is audited (`admin.read`, with whose data it was) before anything is returned; if the record cannot be written,
 * nothing is.
 */
export interface EventReadDependencies {
  readonly events: Pick<AdminEventStore, 'userEvents' | 'getEvent' | 'replayEvents'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly cursors: CursorCodec;
}

export interface EventReadRequest {
  readonly actor: UserActor;
  readonly requestId: string;
}

/** One user's decisions, newest first, a page at a time (the store's own cursor continues). */
export async function userHistory(
  deps: EventReadDependencies,
  request: EventReadRequest & { userId: string; limit: number; cursor?: string },
): Promise<Page<RecordedEvent>> {
  const { userId, limit, cursor } = request;
  const page = await cursorSafe(deps.events.userEvents(userId, { limit, ...(cursor ? { cursor } : {}) }));
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'users.events.read',
    subject: userId,
    data: { events: page.items.length, continued: cursor !== undefined },
  });
  return page;
}

/** One recorded decision. */
export async function readDecision(
  deps: EventReadDependencies,
  request: EventReadRequest & { decisionId: string },
): Promise<RecordedEvent> {
  const found = await recordedDecision(deps.events, request.decisionId);
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'events.read',
    subject: found.userId,
    data: { decisionId: found.decisionId },
  });
  return found;
}

/** Every recorded decision of a window in time order, as replay input (the window travels in the cursor). */
export async function exportDecisions(
  deps: EventReadDependencies,
  request: EventReadRequest & { from?: string; to?: string; limit: number; cursor?: string },
): Promise<{ page: ReplayPage & { items: readonly ReplayEvent[] }; window: TimeWindow; cursor?: string }> {
  const continued = await openWindowCursor(deps.cursors, request.cursor);
  const window = continued?.window ?? windowOf(request.from, request.to, deps.clock());
  const inner = continued?.inner;
  const page = await cursorSafe(
    deps.events.replayEvents(window, { limit: request.limit, ...(inner ? { cursor: inner } : {}) }),
  );
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'events.export',
    data: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      events: page.items.length,
      continued: inner !== undefined,
    },
  });
  const cursor = await sealWindowCursor(deps.cursors, window, page.cursor);
  return { page, window, ...(cursor ? { cursor } : {}) };
}
