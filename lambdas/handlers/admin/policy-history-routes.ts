import { diffVersions, pendingReviews } from '../../application/policy-change/policy-history';
import { InvalidRequestError, NotFoundError } from '../http/api-errors';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { intParam, versionParam } from './admin-request';
import type { DiffResponse, PendingResponse, PendingView, VersionsResponse } from './responses';

const MAX_VERSION = 999_999;

/** The policy's history: every version (immutable), diffs between any two, and the changes awaiting approval. */
export function policyHistoryRoutes(ctx: AdminContext) {
  return {
    'GET /v1/admin/policy/versions': route({}, async ({ event }) => {
      const limit = intParam(event, 'limit', 1, 100) ?? 20;
      const before = intParam(event, 'before', 2, MAX_VERSION);
      const page = await ctx.policies.listVersions({ limit, ...(before ? { before } : {}) });
      return json(200, page satisfies VersionsResponse);
    }),

    'GET /v1/admin/policy/versions/{version}': route({}, async ({ event }) => {
      const record = await ctx.policies.getVersion(versionParam(event));
      if (!record) throw new NotFoundError('no such policy version');
      return json(200, record, { etag: `"${record.version}"` });
    }),

    'GET /v1/admin/policy/diff': route({}, async ({ event }) => {
      const from = intParam(event, 'from', 0, MAX_VERSION);
      if (from === undefined) throw new InvalidRequestError('from: required (a version number)', 'from');
      const diff = await diffVersions(ctx, from, intParam(event, 'to', 0, MAX_VERSION));
      return json(200, diff satisfies DiffResponse);
    }),

    'GET /v1/admin/policy/pending': route({}, async () => {
      const { activeVersion, pending } = await pendingReviews(ctx);
      return json(200, {
        activeVersion,
        pending: pending.map(({ change: p, stale, changes }): PendingView => ({
          version: p.version,
          baseVersion: p.baseVersion,
          reason: p.reason,
          proposedBy: p.proposedBy,
          proposedAt: p.proposedAt,
          status: p.status,
          stale,
          ...(changes ? { changes } : {}),
          ...(p.weakening ? { weakening: p.weakening } : {}),
          ...(p.backtest ? { backtest: p.backtest } : {}),
        })),
      } satisfies PendingResponse);
    }),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
