import { exportTrail, verifyAuditTrail, type AuditTrailDependencies } from '../../application/audit-read/audit-trail';
import type { AuditCheckpoints } from '../../application/audit-checkpoints/audit-checkpoints';
import type { AuditLog, AuditReader } from '../../ports/audit-log';
import { callerOf } from '../http/caller';
import { json, route, serveRoutes, type HttpEvent, type HttpLambda, type RouteHandlers } from '../http/http-handler';

export interface AuditApiDependencies {
  readonly auditReader: AuditReader;
  readonly auditLog: AuditLog;
  /** Epoch ms. */
  readonly now: () => number;
  /** The signed checkpoints verify checks the trail against; without them verify reports `anchor: null`. */
  readonly checkpoints?: AuditCheckpoints;
  /** Where unexpected errors are summarised (defaults to a JSON line on stderr). */
  readonly logError?: (summary: Record<string, unknown>) => void;
}

const NO_STORE = { 'cache-control': 'no-store' };

const readRequest = (event: HttpEvent) => ({ actor: callerOf(event), requestId: event.requestContext.requestId });

/**
 * `GET /v1/admin/audit?from&to&subject&cursor&limit` → JSON lines (`application/x-ndjson`), next page's cursor in
 * the `x-next-cursor` header; `GET /v1/admin/audit/verify` → `{ ok, chains, records, breaks, anchor }` (anchor: the
 * checkpoint verified against, or null when there is none). Who may call them is in the route table; both reads
 * are recorded as `admin.read` before anything is returned.
 */
export function auditRoutes(deps: AuditTrailDependencies): RouteHandlers<'audit'> {
  return {
    'GET /v1/admin/audit': route({}, async ({ event }) => {
      const q = event.queryStringParameters ?? {};
      const page = await exportTrail(deps, readRequest(event), {
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.subject !== undefined ? { subject: q.subject } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/x-ndjson',
          ...NO_STORE,
          ...(page.cursor ? { 'x-next-cursor': page.cursor } : {}),
        },
        body: page.records.map((r) => `${JSON.stringify(r)}\n`).join(''),
      };
    }),
    'GET /v1/admin/audit/verify': route({}, async ({ event }) => {
      const { ok, chains, records, breaks, anchor } = await verifyAuditTrail(deps, readRequest(event));
      return json(200, { ok, chains, records, breaks, anchor: anchor ?? null }, NO_STORE);
    }),
  };
}

/** The audit function's HTTP entry point. */
export function buildAuditApiHandler(deps: AuditApiDependencies): HttpLambda {
  const routes = auditRoutes({
    reader: deps.auditReader,
    audit: deps.auditLog,
    clock: deps.now,
    ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}),
  });
  return serveRoutes('audit', routes, deps.logError ? { logError: deps.logError } : {});
}
