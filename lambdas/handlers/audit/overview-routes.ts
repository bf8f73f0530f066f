import { z } from 'zod';
import { overviewChunk, type OverviewDependencies } from '../../application/console-reads/console-reads';
import { progressOf } from '../../application/replay/time-window';
import { queryOf } from '../admin/console-routes';
import type { OverviewResponse } from '../admin/console-responses';
import { readerOf } from '../admin/admin-request';
import { json, route } from '../http/http-handler';

export const overviewQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

/** The security console's overview on the audit function: hourly tallies counted from the trail, a chunk a call. */
export function overviewRoutes(deps: OverviewDependencies) {
  return {
    'GET /v1/admin/overview': route({}, async ({ event }) => {
      const q = queryOf(overviewQuery, event);
      const chunk = await overviewChunk(deps, {
        ...readerOf(event),
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
      return json(
        200,
        {
          complete: chunk.cursor === undefined,
          ...(chunk.cursor ? { cursor: chunk.cursor } : {}),
          progress: progressOf(chunk.window, chunk.position),
          totals: chunk.totals,
        } satisfies OverviewResponse,
        { 'cache-control': 'no-store' },
      );
    }),
  };
}
