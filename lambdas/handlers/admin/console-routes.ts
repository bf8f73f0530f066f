import { z } from 'zod';
import { decisionStream, trustedContexts } from '../../application/console-reads/console-reads';
import type { DecisionFilter } from '../../application/console-reads/console-views';
import { activePolicy } from '../../application/policy-change/active-policy';
import { identifierProblem } from '../../contracts/identifiers';
import { InvalidRequestError } from '../http/api-errors';
import type { HttpEvent } from '../http/http-handler';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { pathParam, readerOf } from './admin-request';
import type { DecisionStreamResponse, UserProfileResponse } from './console-responses';
import { eventView } from './event-view';

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

const text = (name: string, max: number) =>
  z
    .string()
    .max(max, `${name}: at most ${max} characters`)
    .regex(NO_CONTROL_CHARS, `${name}: must not contain control characters`)
    .optional();

/** The decision stream's query: every filter is optional; unknown parameters are refused, not ignored. */
export const decisionStreamQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  userId: text('userId', 256),
  action: text('action', 128),
  decision: z.enum(['allow', 'step_up', 'deny']).optional(),
  reason: text('reason', 128),
  ip: text('ip', 128),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'limit: must be an integer from 1 to 200')
    .optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

/** Parses the query string with `schema`; the first problem becomes a 400 naming its parameter. */
export function queryOf<T extends z.ZodType>(schema: T, event: HttpEvent): z.infer<T> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {}))
    if (v !== undefined && v !== '') params[k] = v;
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'query';
    const message = issue?.message ?? 'invalid query';
    throw new InvalidRequestError(message.startsWith(`${field}:`) ? message : `${field}: ${message}`, field);
  }
  return parsed.data;
}

function userIdOf(value: string): string {
  const problem = identifierProblem(value);
  if (problem !== undefined) throw new InvalidRequestError(`userId: ${problem}`, 'userId');
  return value;
}

/** The security console's reads on the admin function: the filtered decision stream and a user's trusted contexts. */
export function consoleRoutes(ctx: AdminContext) {
  return {
    'GET /v1/admin/decisions': route({}, async ({ event }) => {
      const q = queryOf(decisionStreamQuery, event);
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (limit < 1 || limit > 200) throw new InvalidRequestError('limit: must be an integer from 1 to 200', 'limit');
      const filter: DecisionFilter = {
        ...(q.userId !== undefined ? { userId: userIdOf(q.userId) } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.decision !== undefined ? { decision: q.decision } : {}),
        ...(q.reason !== undefined ? { reason: q.reason } : {}),
        ...(q.ip !== undefined ? { ip: q.ip } : {}),
      };
      const page = await decisionStream(
        { reads: ctx.consoleReads, audit: ctx.audit, clock: ctx.clock },
        {
          ...readerOf(event),
          filter,
          limit,
          ...(q.from !== undefined ? { from: q.from } : {}),
          ...(q.to !== undefined ? { to: q.to } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        },
      );
      return json(200, {
        decisions: page.items.map(eventView),
        ...(page.cursor ? { cursor: page.cursor } : {}),
        scanned: page.scanned,
      } satisfies DecisionStreamResponse);
    }),

    'GET /v1/admin/users/{userId}/profile': route({}, async ({ event }) => {
      const view = await trustedContexts(
        {
          reads: ctx.consoleReads,
          events: ctx.events,
          activePolicy: () => activePolicy(ctx),
          audit: ctx.audit,
          clock: ctx.clock,
        },
        { ...readerOf(event), userId: userIdOf(pathParam(event, 'userId')) },
      );
      return json(200, view satisfies UserProfileResponse, { 'cache-control': 'no-store' });
    }),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
