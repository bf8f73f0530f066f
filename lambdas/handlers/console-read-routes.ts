import { z } from 'zod';
import { READER_GROUPS } from '../contracts/identity';
import { OverviewTally, trustedProfileView, type DecisionFilter } from '../application/console-reads';
import type { AuditEvent } from '../core/audit/audit-event';
import { identifierProblem } from '../core/identifier';
import { InvalidCursorError, type CursorCodec } from '../core/paging/signed-cursor';
import type { AdminEventStore, RecordedEvent, TimeWindow } from '../ports/admin-event-store';
import type { AuditLog, AuditReader } from '../ports/audit-log';
import type { Clock } from '../ports/clock';
import type { ConsoleReadStore } from '../ports/console-read-store';
import type { PolicyRecord } from '../ports/policy-store';
import { eventView } from './admin-api';
import type { DecisionStreamResponse, OverviewResponse, UserProfileResponse } from './console-read-contract';
import { InvalidRequestError } from './http/api-errors';
import { callerOf, type Caller } from './http/caller';
import { httpHandler, json, type HttpEvent, type HttpLambda } from './http/http-handler';

/**
 * The reads the security console needs beyond the tuning and audit APIs, for staff in risk-auditors or risk-admins:
 *
 * - `GET /v1/admin/decisions` (admin function): the decision stream, newest first, filtered by user, action,
 *   decision, reason and address, a bounded page at a time;
 * - `GET /v1/admin/users/{userId}/profile` (admin function): the user's trusted contexts and when and why each
 *   became trusted, from the profile and the user's newest decisions;
 * - `GET /v1/admin/overview` (audit function): hourly tallies of decisions, step-ups and stuffing bursts and the
 *   top reasons, counted from the audit trail a chunk at a time.
 *
 * Every read is recorded in the audit trail before anything is returned, like the other admin reads.
 */
const DAY_MS = 86_400_000;
const MAX_WINDOW_DAYS = 400;
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;
/** Index entries examined per decision-stream page, whatever matched: the cost ceiling of one call. */
export const STREAM_SCAN_LIMIT = 1000;
/** Audit records counted per overview call before it answers with a cursor. */
export const OVERVIEW_CHUNK_RECORDS = 20_000;
/** Newest decisions read to find when each trusted context was learned. */
export const PROFILE_HISTORY_LIMIT = 1000;
const OVERVIEW_CURSOR = 'console.overview';

export const CONSOLE_ADMIN_ROUTE_KEYS = ['GET /v1/admin/decisions', 'GET /v1/admin/users/{userId}/profile'] as const;
export const CONSOLE_AUDIT_ROUTE_KEYS = ['GET /v1/admin/overview'] as const;

const text = (name: string, max: number) =>
  z
    .string()
    .max(max, `${name}: at most ${max} characters`)
    .regex(NO_CONTROL_CHARS, `${name}: must not contain control characters`)
    .optional();

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

function queryOf<T extends z.ZodType>(schema: T, event: HttpEvent): z.infer<T> {
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

function windowOf(from: string | undefined, to: string | undefined, now: number, defaultDays: number): TimeWindow {
  const end = to ? Date.parse(to) : now;
  const start = from ? Date.parse(from) : end - defaultDays * DAY_MS;
  if (!(start < end)) throw new InvalidRequestError('from: must be before to', 'from');
  if (end - start > MAX_WINDOW_DAYS * DAY_MS) {
    throw new InvalidRequestError(`from: the window may span at most ${MAX_WINDOW_DAYS} days`, 'from');
  }
  return { from: start, to: end };
}

async function cursorSafe<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new InvalidRequestError(error.message, 'cursor', { cause: error });
    throw error;
  }
}

type ReadRecord = Pick<AuditEvent, 'action' | 'subject'> & { data?: Record<string, unknown> };

function readRecorder(audit: Pick<AuditLog, 'append'>, clock: Clock) {
  return async (event: HttpEvent, caller: Caller, read: ReadRecord): Promise<void> => {
    const requestId = event.requestContext.requestId;
    await audit.append({
      eventId: `admin.read:${requestId}`,
      kind: 'admin.read',
      actor: { type: 'user', id: caller.subject },
      ...(read.action ? { action: read.action } : {}),
      ...(read.subject ? { subject: read.subject } : {}),
      outcome: 'served',
      requestId,
      at: new Date(clock()).toISOString(),
      data: { ...(caller.username ? { username: caller.username } : {}), ...read.data },
    });
  };
}

export interface ConsoleAdminRouteDependencies {
  readonly reads: ConsoleReadStore;
  readonly events: Pick<AdminEventStore, 'userEvents'>;
  readonly activePolicy: () => Promise<PolicyRecord>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** The console's routes on the admin function, by route key. */
export function buildConsoleAdminRoutes(deps: ConsoleAdminRouteDependencies): Record<string, HttpLambda> {
  const recordRead = readRecorder(deps.audit, deps.clock);
  const options = { groups: READER_GROUPS, ...(deps.logError ? { logError: deps.logError } : {}) };
  return {
    'GET /v1/admin/decisions': httpHandler(options, async ({ event }) => {
      const caller = callerOf(event);
      const q = queryOf(decisionStreamQuery, event);
      if (q.userId !== undefined) {
        const problem = identifierProblem(q.userId);
        if (problem !== undefined) throw new InvalidRequestError(`userId: ${problem}`, 'userId');
      }
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (limit < 1 || limit > 200) throw new InvalidRequestError('limit: must be an integer from 1 to 200', 'limit');
      const window = windowOf(q.from, q.to, deps.clock(), 7);
      const filter: DecisionFilter = {
        ...(q.userId !== undefined ? { userId: q.userId } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.decision !== undefined ? { decision: q.decision } : {}),
        ...(q.reason !== undefined ? { reason: q.reason } : {}),
        ...(q.ip !== undefined ? { ip: q.ip } : {}),
      };
      const page = await cursorSafe(
        deps.reads.recentDecisions({
          window,
          filter,
          limit,
          scanLimit: STREAM_SCAN_LIMIT,
          ...(q.cursor ? { cursor: q.cursor } : {}),
        }),
      );
      await recordRead(event, caller, {
        action: 'decisions.read',
        ...(q.userId !== undefined ? { subject: q.userId } : {}),
        data: {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          filter: Object.keys(filter).join(',') || 'none',
          decisions: page.items.length,
          continued: q.cursor !== undefined,
        },
      });
      return json(200, {
        decisions: page.items.map(eventView),
        ...(page.cursor ? { cursor: page.cursor } : {}),
        scanned: page.scanned,
      } satisfies DecisionStreamResponse);
    }),

    'GET /v1/admin/users/{userId}/profile': httpHandler(options, async ({ event }) => {
      const caller = callerOf(event);
      const userId = event.pathParameters?.userId ?? '';
      const problem = identifierProblem(userId);
      if (problem !== undefined) throw new InvalidRequestError(`userId: ${problem}`, 'userId');
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
      await recordRead(event, caller, {
        action: 'users.profile.read',
        subject: userId,
        data: { decisions: history.length },
      });
      const view = trustedProfileView(
        userId,
        profile,
        history,
        policy.policy.learning.trustBelowScore,
        cursor === undefined,
      );
      return json(200, view satisfies UserProfileResponse, { 'cache-control': 'no-store' });
    }),
  };
}

export interface ConsoleAuditRouteDependencies {
  readonly auditReader: Pick<AuditReader, 'exportRecords'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly cursors: CursorCodec;
  /** Records counted per call (default OVERVIEW_CHUNK_RECORDS). */
  readonly chunkRecords?: number;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

export const overviewQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

/** The console's routes on the audit function, by route key. */
export function buildConsoleAuditRoutes(deps: ConsoleAuditRouteDependencies): Record<string, HttpLambda> {
  const recordRead = readRecorder(deps.audit, deps.clock);
  const options = { groups: READER_GROUPS, ...(deps.logError ? { logError: deps.logError } : {}) };
  const chunk = Math.max(1, deps.chunkRecords ?? OVERVIEW_CHUNK_RECORDS);
  return {
    'GET /v1/admin/overview': httpHandler(options, async ({ event }) => {
      const caller = callerOf(event);
      const q = queryOf(overviewQuery, event);
      let window: TimeWindow;
      let inner: string | undefined;
      if (q.cursor) {
        // The cursor carries its window, so a default window ("the last 24 hours") cannot drift between chunks.
        const opened = (await cursorSafe(deps.cursors.open(OVERVIEW_CURSOR, q.cursor))) as {
          f?: unknown;
          t?: unknown;
          c?: unknown;
        } | null;
        if (!opened || typeof opened.f !== 'number' || typeof opened.t !== 'number' || typeof opened.c !== 'string') {
          throw new InvalidRequestError('cursor: not a cursor this API produced', 'cursor');
        }
        window = { from: opened.f, to: opened.t };
        inner = opened.c;
      } else {
        window = windowOf(q.from, q.to, deps.clock(), 1);
      }
      const tally = new OverviewTally();
      let read = 0;
      let position = window.from;
      do {
        const page = await cursorSafe(
          deps.auditReader.exportRecords({
            from: window.from,
            to: window.to,
            limit: Math.min(1000, chunk - read),
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
      await recordRead(event, caller, {
        action: 'overview.read',
        data: {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          records: read,
          continued: q.cursor !== undefined,
        },
      });
      return json(
        200,
        {
          complete: inner === undefined,
          ...(inner
            ? { cursor: await deps.cursors.seal(OVERVIEW_CURSOR, { f: window.from, t: window.to, c: inner }) }
            : {}),
          progress: {
            from: new Date(window.from).toISOString(),
            to: new Date(window.to).toISOString(),
            position: new Date(inner ? position : window.to).toISOString(),
          },
          totals: tally.totals(),
        } satisfies OverviewResponse,
        { 'cache-control': 'no-store' },
      );
    }),
  };
}

/** A handler that serves `extra` routes by route key and hands every other route to `base`. */
export function withRoutes(base: HttpLambda, extra: Record<string, HttpLambda>): HttpLambda {
  return (event, context) => (extra[event.routeKey] ?? base)(event, context);
}
