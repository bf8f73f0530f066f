import { randomBytes } from 'node:crypto';
import { SignedCursorCodec, type CursorCodec } from '../../core/paging/signed-cursor';
import { DEFAULT_REPLAY_BUDGET_MS, DEFAULT_REPLAY_CHUNK_EVENTS } from '../../application/replay/replay-chunk';
import { serveRoutes, type HttpLambda, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { eventRoutes } from './event-routes';
import { feedbackRoutes } from './feedback-routes';
import { policyHistoryRoutes } from './policy-history-routes';
import { policyRoutes } from './policy-routes';
import { shadowRoutes } from './shadow-routes';
import { simulationRoutes } from './simulation-routes';

export interface AdminDependencies extends Omit<AdminContext, 'cursors' | 'replay'> {
  /**
   * Signs the cursors of chunked reads (the same codec the store signs its own with). Every instance serving one
   * API must share its key; the default, a random key per instance, suits a single process.
   */
  readonly cursors?: CursorCodec;
  /** Events replayed per simulate/report call before it answers with a cursor (default 20,000). */
  readonly replayChunkEvents?: number;
  /** Wall-clock budget per simulate/report call in ms (default 20,000; the HTTP API cuts at 30 s). */
  readonly replayBudgetMs?: number;
  /** Monotonic ms, for the replay budget (default performance.now). */
  readonly elapsed?: () => number;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** Every admin route's handler, by concern; who may call each is in the route table. */
export function adminRoutes(ctx: AdminContext): RouteHandlers<'admin'> {
  return {
    ...policyRoutes(ctx),
    ...policyHistoryRoutes(ctx),
    ...simulationRoutes(ctx),
    ...shadowRoutes(ctx),
    ...eventRoutes(ctx),
    ...feedbackRoutes(ctx),
  };
}

/**
 * The tuning API for security staff, one Lambda dispatching on `routeKey`: policy (read, change with `If-Match`
 * and a reason, second-person approval, history and diffs), backtesting, shadow mode, recorded decisions and their
 * labels. Every change is written atomically with its audit record; every read of personal data is recorded before
 * anything is returned.
 */
export function buildAdminHandler(deps: AdminDependencies): HttpLambda {
  const { cursors, replayChunkEvents, replayBudgetMs, elapsed, logError, ...ports } = deps;
  const ctx: AdminContext = {
    ...ports,
    cursors: cursors ?? new SignedCursorCodec(randomBytes(32)),
    replay: {
      chunkEvents: replayChunkEvents ?? DEFAULT_REPLAY_CHUNK_EVENTS,
      budgetMs: replayBudgetMs ?? DEFAULT_REPLAY_BUDGET_MS,
      elapsed: elapsed ?? (() => performance.now()),
    },
  };
  return serveRoutes('admin', adminRoutes(ctx), logError ? { logError } : {});
}
