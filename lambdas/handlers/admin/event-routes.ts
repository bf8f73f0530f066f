import { exportDecisions, readDecision, userHistory } from '../../application/investigation/event-reads';
import { identifierProblem } from '../../contracts/identifiers';
import { toReplayEventJson } from '../../core/simulation/replay-event-json';
import { InvalidRequestError } from '../http/api-errors';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { intParam, pathParam, query, readerOf } from './admin-request';
import { eventView } from './event-view';
import type { EventsExportResponse, UserEventsResponse } from './responses';

/** Investigation: one user's decision history, one decision, and every decision of a window as replay input. */
export function eventRoutes(ctx: AdminContext) {
  return {
    'GET /v1/admin/users/{userId}/events': route({}, async ({ event }) => {
      const userId = pathParam(event, 'userId');
      const problem = identifierProblem(userId);
      if (problem !== undefined) throw new InvalidRequestError(`userId: ${problem}`, 'userId');
      const cursor = query(event, 'cursor');
      const page = await userHistory(ctx, {
        ...readerOf(event),
        userId,
        limit: intParam(event, 'limit', 1, 200) ?? 50,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return json(200, {
        userId,
        events: page.items.map(eventView),
        ...(page.cursor ? { cursor: page.cursor } : {}),
      } satisfies UserEventsResponse);
    }),

    'GET /v1/admin/events': route({}, async ({ event }) => {
      const [from, to, cursor] = [query(event, 'from'), query(event, 'to'), query(event, 'cursor')];
      const { page, window, ...next } = await exportDecisions(ctx, {
        ...readerOf(event),
        limit: intParam(event, 'limit', 1, 1000) ?? 500,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return json(200, {
        events: page.items.map(toReplayEventJson),
        ...(next.cursor ? { cursor: next.cursor } : {}),
        progress: {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          position: new Date(page.position).toISOString(),
        },
      } satisfies EventsExportResponse);
    }),

    'GET /v1/admin/events/{decisionId}': route({}, async ({ event }) =>
      json(200, eventView(await readDecision(ctx, { ...readerOf(event), decisionId: pathParam(event, 'decisionId') }))),
    ),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
