import { z } from 'zod';
import { simulatePolicy } from '../../application/replay/simulate';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { POLICY_BODY_BYTES, policyDocument, readerOf } from './admin-request';
import { chunkView } from './chunk-view';

export const simulateBody = z.strictObject({
  /** The candidate document; or `version`, a stored version; neither: the active policy. */
  policy: policyDocument.optional(),
  version: z.number().int().min(1).optional(),
  baseline: z.union([z.literal('recorded'), z.literal('active'), z.number().int().min(1)]).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().min(1).max(4096).optional(),
  maxChangedEvents: z.number().int().min(0).max(5000).optional(),
});

/** Backtesting: replays recorded decisions under a candidate policy, in chunks (a cursor continues). */
export function simulationRoutes(ctx: AdminContext) {
  return {
    'POST /v1/admin/policy/simulate': route(
      { body: simulateBody, maxBodyBytes: POLICY_BODY_BYTES },
      async ({ body, event }) => json(200, chunkView(await simulatePolicy(ctx, { ...readerOf(event), ...body }))),
    ),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
