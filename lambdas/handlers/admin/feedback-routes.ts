import { z } from 'zod';
import { labelDecision } from '../../application/feedback/label-decision';
import { callerOf } from '../http/caller';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { noteField, pathParam } from './admin-request';
import type { FeedbackResponse } from './responses';

export const feedbackBody = z.strictObject({ label: z.enum(['fraud', 'legit', 'none']), note: noteField.optional() });

/** Labels of recorded decisions (`fraud`, `legit`, or `none` to remove one): what backtests measure against. */
export function feedbackRoutes(ctx: AdminContext) {
  return {
    'POST /v1/admin/events/{decisionId}/feedback': route({ body: feedbackBody }, async ({ body, event }) => {
      const result = await labelDecision(ctx, {
        actor: callerOf(event),
        decisionId: pathParam(event, 'decisionId'),
        label: body.label,
        ...(body.note ? { note: body.note } : {}),
      });
      return json(200, result satisfies FeedbackResponse);
    }),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
