import { READER_GROUPS } from '../contracts/identity';
import {
  DEFAULT_EXPORT_LIMIT,
  InvalidAuditQueryError,
  MAX_EXPORT_LIMIT,
  parseAuditRange,
  parseLimit,
} from '../core/audit/audit-query';
import type { AuditEvent } from '../core/audit/audit-event';
import type { AuditLog, AuditReader } from '../ports/audit-log';
import { verifyTrail, type AuditCheckpoints } from './audit-checkpoints';
import { InvalidRequestError, NotFoundError } from './http/api-errors';
import { callerOf, type Caller } from './http/caller';
import { httpHandler, json, type HttpEvent, type HttpLambda, type HttpResult } from './http/http-handler';

/** Auditors read the trail; admins may too (they answer for the policy it records). */
export const AUDIT_READER_GROUPS = READER_GROUPS;
const MAX_SUBJECT_LENGTH = 512;

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

function invalid(error: unknown): never {
  if (error instanceof InvalidAuditQueryError)
    throw new InvalidRequestError(error.message, error.field, { cause: error });
  throw error;
}

/**
 * Every read of the trail is itself recorded before anything is returned: who read which range or subject.
 * If that record cannot be written the read fails, so there is no unaudited way to read personal data here.
 */
async function recordRead(
  deps: AuditApiDependencies,
  event: HttpEvent,
  caller: Caller,
  read: Pick<AuditEvent, 'action' | 'subject' | 'data'>,
): Promise<void> {
  const requestId = event.requestContext.requestId;
  await deps.auditLog.append({
    eventId: `admin.read:${requestId}`,
    kind: 'admin.read',
    actor: { type: 'user', id: caller.subject },
    ...read,
    outcome: 'served',
    requestId,
    at: new Date(deps.now()).toISOString(),
    data: { ...(caller.username ? { username: caller.username } : {}), ...read.data },
  });
}

async function exportPage(deps: AuditApiDependencies, event: HttpEvent, caller: Caller): Promise<HttpResult> {
  const q = event.queryStringParameters ?? {};
  let range: { from: number; to: number };
  let limit: number;
  try {
    range = parseAuditRange(q.from, q.to, deps.now());
    limit = parseLimit(q.limit, DEFAULT_EXPORT_LIMIT, MAX_EXPORT_LIMIT);
  } catch (error) {
    invalid(error);
  }
  const subject = q.subject === undefined || q.subject === '' ? undefined : q.subject;
  if (subject !== undefined && subject.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidRequestError(`subject: longer than ${MAX_SUBJECT_LENGTH} characters`, 'subject');
  }
  const cursor = q.cursor === undefined || q.cursor === '' ? undefined : q.cursor;
  const page = await deps.auditReader
    .exportRecords({ ...range, limit, ...(subject ? { subject } : {}), ...(cursor ? { cursor } : {}) })
    .catch(invalid);
  await recordRead(deps, event, caller, {
    action: 'audit.export',
    ...(subject ? { subject } : {}),
    data: {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      continued: cursor !== undefined,
      records: page.records.length,
    },
  });
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      ...(page.cursor ? { 'x-next-cursor': page.cursor } : {}),
    },
    body: page.records.map((r) => `${JSON.stringify(r)}\n`).join(''),
  };
}

async function verify(deps: AuditApiDependencies, event: HttpEvent, caller: Caller): Promise<HttpResult> {
  const result = await verifyTrail(deps.auditReader, deps.checkpoints, deps.now());
  await recordRead(deps, event, caller, {
    action: 'audit.verify',
    data: {
      ok: result.ok,
      chains: result.chains,
      records: result.records,
      breaks: result.breaks.length,
      checkpoint: result.anchor?.checkpoint ?? null,
    },
  });
  const { ok, chains, records, breaks, anchor } = result;
  return json(200, { ok, chains, records, breaks, anchor: anchor ?? null }, { 'cache-control': 'no-store' });
}

/**
 * `GET /v1/admin/audit?from&to&subject&cursor&limit` → JSON lines (`application/x-ndjson`), next page's cursor in
 * the `x-next-cursor` header; `GET /v1/admin/audit/verify` → `{ ok, chains, records, breaks, anchor }` (anchor: the
 * checkpoint verified against, or null when there is none). Both for members
 * of risk-auditors or risk-admins (403 otherwise), and both recorded as `admin.read`.
 */
export function buildAuditApiHandler(deps: AuditApiDependencies): HttpLambda {
  const options = { groups: AUDIT_READER_GROUPS, ...(deps.logError ? { logError: deps.logError } : {}) };
  return httpHandler(options, async ({ event }) => {
    const caller = callerOf(event);
    switch (event.routeKey) {
      case 'GET /v1/admin/audit':
        return exportPage(deps, event, caller);
      case 'GET /v1/admin/audit/verify':
        return verify(deps, event, caller);
      default:
        throw new NotFoundError(`no audit route ${event.routeKey}`);
    }
  });
}
