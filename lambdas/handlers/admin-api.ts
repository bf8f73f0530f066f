import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CHANGER_GROUPS, READER_GROUPS } from '../contracts/identity';
import type { AuditEvent } from '../core/audit/audit-event';
import { canonicalJson } from '../core/audit/canonical-json';
import { identifierProblem, isGeneratedId } from '../core/identifier';
import { diffPolicies, type PolicyChange } from '../core/policy/policy-diff';
import { parsePolicy, type Policy } from '../core/policy/policy-schema';
import { SignedCursorCodec, type CursorCodec } from '../core/paging/signed-cursor';
import { weakeningChanges, type Weakening } from '../core/policy/weakening';
import { backtestSummary, type BacktestSummary } from '../core/simulation/backtest-summary';
import { toReplayEventJson } from '../core/simulation/replay-event-json';
import { ComparisonTally, Simulation, type SimulationReport } from '../core/simulation/simulation';
import type { Clock } from '../ports/clock';
import {
  InvalidCursorError,
  type AdminEventStore,
  type RecordedEvent,
  type TimeWindow,
} from '../ports/admin-event-store';
import type { AuditLog } from '../ports/audit-log';
import type { PendingChange, PolicyAdminStore, ShadowRun } from '../ports/policy-admin-store';
import type { PolicyRecord } from '../ports/policy-store';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  PreconditionRequiredError,
} from './http/api-errors';
import { callerOf, type Caller } from './http/caller';
import type {
  DiffResponse,
  EventsExportResponse,
  EventView,
  FeedbackResponse,
  PendingResponse,
  PolicyResponse,
  PutPolicyResponse,
  ReplayChunkResponse,
  ReviewResponse,
  ShadowReportResponse,
  ShadowRunView,
  ShadowStatusResponse,
  UserEventsResponse,
} from './admin-api-contract';
import { httpHandler, json, type HttpEvent, type HttpLambda, type HttpResult } from './http/http-handler';

/**
 * The tuning API for security staff (DESIGN §7), one Lambda dispatching on `routeKey`:
 *
 * - policy: read, change (`If-Match` optimistic concurrency, a required reason, optional second-person approval),
 *   version history and diffs;
 * - investigation: a user's decision history, one decision, feedback labels (reversible);
 * - backtesting: `simulate` replays recorded decisions under a candidate policy, in chunks (a cursor continues);
 * - shadow mode: start/stop a candidate scored beside the live policy on every decision, and its report.
 *
 * `risk-admins` may change, `risk-auditors` (and admins) may read; anyone else gets 403. Every change is written
 * atomically with its audit record (the stores take the audit events); every read of personal data (history,
 * events, replays, reports that list users) is recorded before anything is returned.
 */
const CHANGERS = CHANGER_GROUPS;
const READERS = READER_GROUPS;

/** How long a policy change (or a shadow start/stop) may take to reach every decide instance: the policy cache. */
export const POLICY_PROPAGATION_SECONDS = 5;
/** A decision may be dated up to 24 h back (`context.timestamp`): shadow reports look that far before the start. */
const EVENT_BACKDATE_MS = 24 * 3600_000;
const EVENT_FORWARD_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const MAX_WINDOW_DAYS = 400;
const POLICY_BODY_BYTES = 512 * 1024;
/** A weakening change is backtested on the recorded decisions of this window before now, at most this many. */
export const BACKTEST_WINDOW_MS = 7 * DAY_MS;
export const BACKTEST_MAX_EVENTS = 5000;
/** Weakening edits listed on a pending change and in its audit record; `weakeningCount` has the full number. */
const MAX_LISTED_WEAKENING = 200;
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export interface AdminDependencies {
  readonly policies: PolicyAdminStore;
  readonly events: AdminEventStore;
  /** For records of reads; changes are audited inside the stores' transactions. */
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly newId: () => string;
  /** In force while the table holds no policy (version 0), as in the decide path. */
  readonly fallbackPolicy: PolicyRecord;
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
  /** Recorded decisions replayed to backtest a weakening change (default BACKTEST_MAX_EVENTS). */
  readonly backtestMaxEvents?: number;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

// ---------------------------------------------------------------------------------------------------- helpers

const who = (caller: Caller) => caller.username ?? caller.subject;

function actor(caller: Caller): AuditEvent['actor'] {
  return { type: 'user', id: caller.subject };
}

function sha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * The diff as it goes into an audit record: values as canonical JSON strings (so nothing in a policy, such as an
 * action named `credentials.change`, can look like a secret-bearing field name to the audit guard), and very long
 * values (a deny list of a thousand networks) as their hash.
 */
function auditChanges(changes: readonly PolicyChange[]): Record<string, string>[] {
  const text = (v: unknown) => (v === undefined ? undefined : canonicalJson(v));
  const out = changes.map((c) => ({
    path: c.path,
    kind: c.kind,
    ...(c.before !== undefined ? { before: text(c.before)! } : {}),
    ...(c.after !== undefined ? { after: text(c.after)! } : {}),
  }));
  const size = out.reduce((s, c) => s + (c.before?.length ?? 0) + (c.after?.length ?? 0), 0);
  if (size <= 100_000) return out;
  const short = (s: string | undefined) =>
    s === undefined || s.length <= 1000
      ? s
      : `sha256:${createHash('sha256').update(s).digest('hex')} (${s.length} characters)`;
  return out.map((c) => ({
    path: c.path,
    kind: c.kind,
    ...(c.before !== undefined ? { before: short(c.before)! } : {}),
    ...(c.after !== undefined ? { after: short(c.after)! } : {}),
  }));
}

/** Weakening edits as they go into an audit record: values as canonical JSON text, like the diff. */
function auditWeakening(weakening: readonly Weakening[]): Record<string, string>[] {
  return weakening.map((w) => ({
    path: w.path,
    kind: w.kind,
    ...(w.before !== undefined ? { before: canonicalJson(w.before) } : {}),
    ...(w.after !== undefined ? { after: canonicalJson(w.after) } : {}),
  }));
}

function policySummary(record: { version: number; policy: Policy }) {
  return { version: record.version, sha256: sha256(record.policy) };
}

/** Validates a candidate document; the store assigns `version`, so a missing one is filled in. */
function parseCandidate(document: Record<string, unknown>, version: number, field = 'policy'): Policy {
  const parsed = parsePolicy({ ...document, version });
  if (parsed.ok) return parsed.policy;
  const first = parsed.issues[0];
  const path = first?.path ? `${field}.${first.path}` : field;
  throw new ApiError('invalid_policy', `${path}: ${first?.message ?? 'invalid policy'}`, {
    field: path,
    issues: parsed.issues.map((i) => ({ path: i.path ? `${field}.${i.path}` : field, message: i.message })),
  });
}

/** `If-Match: 3`, `"3"` or `W/"3"` → 3. */
function expectedVersion(event: HttpEvent): number {
  const raw = event.headers?.['if-match'];
  if (raw === undefined || raw.trim() === '') {
    throw new PreconditionRequiredError(
      'If-Match: required; send the version you read (GET /v1/admin/policy returns it as the ETag)',
    );
  }
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!match?.[1]) throw new InvalidRequestError('If-Match: must be a policy version number, e.g. "3"', 'If-Match');
  return Number(match[1]);
}

function query(event: HttpEvent, name: string): string | undefined {
  const v = event.queryStringParameters?.[name];
  return v === undefined || v === '' ? undefined : v;
}

function intParam(event: HttpEvent, name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = query(event, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InvalidRequestError(`${name}: must be an integer from ${min} to ${max}`, name);
  }
  return Number(raw);
}

function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!z.iso.datetime({ offset: true }).safeParse(value).success || !Number.isFinite(t)) {
    throw new InvalidRequestError(`${name}: must be an ISO-8601 date-time, e.g. 2026-11-29T10:00:00Z`, name);
  }
  return t;
}

function windowOf(fromText: string | undefined, toText: string | undefined, now: number): TimeWindow {
  const to = timeParam(toText, 'to') ?? now;
  const from = timeParam(fromText, 'from') ?? to - 7 * DAY_MS;
  if (from >= to) throw new InvalidRequestError('from: must be before to', 'from');
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw new InvalidRequestError(`from: the window may span at most ${MAX_WINDOW_DAYS} days`, 'from');
  }
  return { from, to };
}

/**
 * Cursors of chunked reads (simulate, shadow report, export) carry their window, so that continuing is "send the
 * cursor back" and a default window ("the last 7 days") cannot drift between calls.
 */
const CHUNK_CURSOR = 'admin.chunk';

async function wrapCursor(
  cursors: CursorCodec,
  window: TimeWindow,
  inner: string | undefined,
): Promise<string | undefined> {
  if (inner === undefined) return undefined;
  return cursors.seal(CHUNK_CURSOR, { f: window.from, t: window.to, c: inner });
}

async function unwrapCursor(
  cursors: CursorCodec,
  cursor: string | undefined,
): Promise<{ window: TimeWindow; inner: string } | undefined> {
  if (cursor === undefined) return undefined;
  let parsed: { f?: unknown; t?: unknown; c?: unknown } = {};
  try {
    parsed = ((await cursors.open(CHUNK_CURSOR, cursor)) as typeof parsed | null) ?? {};
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    // reported below
  }
  const { f, t, c } = parsed ?? {};
  if (
    typeof f !== 'number' ||
    typeof t !== 'number' ||
    typeof c !== 'string' ||
    !(f < t) ||
    t - f > MAX_WINDOW_DAYS * DAY_MS
  ) {
    throw new InvalidRequestError('cursor: not a cursor this API produced', 'cursor');
  }
  return { window: { from: f, to: t }, inner: c };
}

function pathParam(event: HttpEvent, name: string): string {
  return event.pathParameters?.[name] ?? '';
}

function versionParam(event: HttpEvent, name: string): number {
  const raw = pathParam(event, name);
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new NotFoundError('no such policy version');
  return Number(raw);
}

async function cursorSafe<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new InvalidRequestError(error.message, 'cursor', { cause: error });
    throw error;
  }
}

function eventView(e: RecordedEvent): EventView {
  const f = e.features;
  return {
    decisionId: e.decisionId,
    at: new Date(e.at).toISOString(),
    userId: e.userId,
    action: e.action,
    decision: e.decision,
    score: e.score,
    policyVersion: e.policyVersion,
    reasons: e.reasons,
    clientId: e.clientId,
    context: {
      ip: f.ip,
      ...(f.deviceId ? { deviceId: f.deviceId } : {}),
      ...(f.geo.country ? { country: f.geo.country } : {}),
      ...(f.geo.region ? { region: f.geo.region } : {}),
      ...(f.geo.city ? { city: f.geo.city } : {}),
      ...(f.device.uaFamily ? { browser: [f.device.uaFamily, f.device.browserMajor].filter(Boolean).join(' ') } : {}),
      ...(f.device.os ? { os: f.device.os } : {}),
      deviceType: f.device.deviceType,
    },
    ...(e.outcome ? { outcome: e.outcome } : {}),
    ...(e.feedback ? { feedback: e.feedback } : {}),
    ...(e.shadow ? { shadow: e.shadow } : {}),
    replayable: e.replayable,
  };
}

// ---------------------------------------------------------------------------------------------------- schemas

const policyDocument = z.record(z.string(), z.unknown());
const reason = z.string().trim().min(1, 'required: say why').max(1000);
const note = z.string().trim().max(1000).regex(NO_CONTROL_CHARS, 'must not contain control characters');

export const putPolicyBody = z.strictObject({ policy: policyDocument, reason });
export const reviewBody = z.strictObject({ note: note.optional() });
export const feedbackBody = z.strictObject({ label: z.enum(['fraud', 'legit', 'none']), note: note.optional() });
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
export const shadowStartBody = z.strictObject({ policy: policyDocument, reason });
export const shadowStopBody = z.strictObject({ reason });

// ---------------------------------------------------------------------------------------------------- handler

export function buildAdminHandler(deps: AdminDependencies): HttpLambda {
  const logError = deps.logError ?? ((summary) => console.error(JSON.stringify({ level: 'ERROR', ...summary })));
  const chunkEvents = deps.replayChunkEvents ?? 20_000;
  const budgetMs = deps.replayBudgetMs ?? 20_000;
  const elapsed = deps.elapsed ?? (() => performance.now());
  const maxBacktestEvents = Math.max(1, deps.backtestMaxEvents ?? BACKTEST_MAX_EVENTS);
  const nowIso = () => new Date(deps.clock()).toISOString();
  const cursors = deps.cursors ?? new SignedCursorCodec(randomBytes(32));

  async function active(): Promise<PolicyRecord> {
    return (await deps.policies.getActive()) ?? deps.fallbackPolicy;
  }

  /**
   * Replays the most recent recorded decisions (BACKTEST_WINDOW_MS back, at most backtestMaxEvents of them, within
   * the replay time budget) under the active policy and under the proposal: what the approver sees of its effect.
   */
  async function backtestOf(active: Policy, proposal: Policy): Promise<BacktestSummary> {
    const now = deps.clock();
    const window: TimeWindow = { from: now - BACKTEST_WINDOW_MS, to: now + 1 };
    const simulation = new Simulation(proposal, { baseline: active, maxChangedEvents: 0 });
    const started = elapsed();
    let cursor: string | undefined;
    let read = 0;
    for (;;) {
      const page = await deps.events.replayEvents(window, {
        limit: Math.min(1000, maxBacktestEvents - read),
        ...(cursor ? { cursor } : {}),
      });
      for (const e of page.items) simulation.add(e);
      read += page.items.length;
      cursor = page.cursor;
      if (!cursor || read >= maxBacktestEvents || elapsed() - started > budgetMs) break;
    }
    return backtestSummary(simulation.report(), window, cursor !== undefined);
  }

  /** Records a read of personal data; if it cannot be recorded, nothing is returned. */
  async function recordRead(
    event: HttpEvent,
    caller: Caller,
    read: Pick<AuditEvent, 'action' | 'subject'> & { data?: Record<string, unknown> },
  ): Promise<void> {
    const requestId = event.requestContext.requestId;
    await deps.audit.append({
      eventId: `admin.read:${requestId}`,
      kind: 'admin.read',
      actor: actor(caller),
      ...(read.action ? { action: read.action } : {}),
      ...(read.subject ? { subject: read.subject } : {}),
      outcome: 'served',
      requestId,
      at: nowIso(),
      data: { ...(caller.username ? { username: caller.username } : {}), ...read.data },
    });
  }

  function changeEvent(
    caller: Caller,
    kind: AuditEvent['kind'],
    eventId: string,
    fields: Omit<AuditEvent, 'eventId' | 'kind' | 'actor' | 'at'>,
  ): AuditEvent {
    return {
      eventId,
      kind,
      actor: actor(caller),
      at: nowIso(),
      ...fields,
      data: { ...(caller.username ? { username: caller.username } : {}), ...fields.data },
    };
  }

  const routes: Record<string, HttpLambda> = {};
  const route = (key: string, handler: HttpLambda) => (routes[key] = handler);

  // ---- policy

  route(
    'GET /v1/admin/policy',
    httpHandler({ groups: READERS, logError }, async () => {
      const record = await active();
      return json(
        200,
        {
          version: record.version,
          policy: record.policy,
          updatedAt: record.updatedAt,
          updatedBy: record.updatedBy,
          ...(record.reason ? { reason: record.reason } : {}),
        } satisfies PolicyResponse,
        { etag: `"${record.version}"`, 'cache-control': 'no-store' },
      );
    }),
  );

  route(
    'PUT /v1/admin/policy',
    httpHandler(
      { body: putPolicyBody, maxBodyBytes: POLICY_BODY_BYTES, groups: CHANGERS, logError },
      async ({ body, event }) => {
        const caller = callerOf(event);
        const expected = expectedVersion(event);
        const current = await active();
        if (expected !== current.version) {
          throw new ConflictError(`If-Match: version ${expected} is not the active version (${current.version})`, {
            field: 'If-Match',
            currentVersion: current.version,
          });
        }
        const version = expected + 1;
        const policy = parseCandidate(body.policy, version);
        const changes = diffPolicies(current.policy, policy);
        if (changes.length === 0) {
          return json(200, { version: current.version, unchanged: true } satisfies PutPolicyResponse, {
            etag: `"${current.version}"`,
          });
        }
        const at = nowIso();
        const fields = {
          action: 'policy.update',
          policyVersion: version,
          why: body.reason,
          before: policySummary(current),
          after: policySummary({ version, policy }),
          data: { changes: auditChanges(changes) },
        };
        // The rule in force decides: a change that switches approval off still needs the approval it switches off.
        // A change that weakens protection needs a second person whatever the policy says: one admin alone can
        // tighten the policy, never loosen it.
        const weakening = weakeningChanges(current.policy, policy);
        const because: ('policy' | 'weakening')[] = [];
        if (current.policy.approval.required) because.push('policy');
        if (weakening.length > 0) because.push('weakening');
        if (because.length > 0) {
          const listed = weakening.slice(0, MAX_LISTED_WEAKENING);
          const backtest = weakening.length > 0 ? await backtestOf(current.policy, policy) : undefined;
          const pending: PendingChange = {
            version,
            baseVersion: current.version,
            policy,
            reason: body.reason,
            proposedBy: who(caller),
            proposedBySubject: caller.subject,
            proposedAt: at,
            status: 'pending',
            ...(listed.length > 0 ? { weakening: listed } : {}),
            ...(backtest ? { backtest } : {}),
          };
          const proposed = await deps.policies.propose(pending, [
            changeEvent(caller, 'policy.proposed', `policy:v${version}:proposed:${at}`, {
              ...fields,
              outcome: 'pending_approval',
              data: {
                ...fields.data,
                approvalRequiredBecause: because,
                ...(weakening.length > 0
                  ? { weakening: auditWeakening(listed), weakeningCount: weakening.length }
                  : {}),
                ...(backtest ? { backtest } : {}),
              },
            }),
          ]);
          if (proposed === 'stale') throw staleConflict(expected);
          if (proposed === 'already_pending') {
            throw new ConflictError(`a change to version ${version} is already awaiting approval`, {
              field: 'If-Match',
              pending: `/v1/admin/policy/pending/${version}`,
            });
          }
          return json(202, {
            version,
            status: 'pending_approval',
            approvalRequiredBecause: because,
            ...(listed.length > 0 ? { weakening: listed } : {}),
            ...(backtest ? { backtest } : {}),
            approve: `/v1/admin/policy/pending/${version}/approve`,
            reject: `/v1/admin/policy/pending/${version}/reject`,
          } satisfies PutPolicyResponse);
        }
        const applied = await deps.policies.apply(
          { expectedVersion: expected, policy, updatedAt: at, updatedBy: who(caller), reason: body.reason },
          [changeEvent(caller, 'policy.changed', `policy:v${version}:changed`, { ...fields, outcome: 'applied' })],
        );
        if (applied === 'stale') throw staleConflict(expected);
        return json(200, { version, effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS } satisfies PutPolicyResponse, {
          etag: `"${version}"`,
          location: `/v1/admin/policy/versions/${version}`,
        });
      },
    ),
  );

  function staleConflict(expected: number): ConflictError {
    return new ConflictError(`If-Match: version ${expected} is no longer the active version; read it again`, {
      field: 'If-Match',
    });
  }

  route(
    'GET /v1/admin/policy/versions',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const limit = intParam(event, 'limit', 1, 100, 20)!;
      const before = intParam(event, 'before', 2, 999_999);
      const page = await deps.policies.listVersions({ limit, ...(before ? { before } : {}) });
      return json(200, page);
    }),
  );

  route(
    'GET /v1/admin/policy/versions/{version}',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const record = await deps.policies.getVersion(versionParam(event, 'version'));
      if (!record) throw new NotFoundError('no such policy version');
      return json(200, record, { etag: `"${record.version}"` });
    }),
  );

  route(
    'GET /v1/admin/policy/diff',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const current = await active();
      const from = intParam(event, 'from', 0, 999_999);
      if (from === undefined) throw new InvalidRequestError('from: required (a version number)', 'from');
      const to = intParam(event, 'to', 0, 999_999, current.version)!;
      const load = async (v: number, field: string) => {
        if (v === current.version) return current;
        if (v === 0) return deps.fallbackPolicy;
        const record = await deps.policies.getVersion(v);
        if (!record) throw new InvalidRequestError(`${field}: no version ${v}`, field);
        return record;
      };
      const [a, b] = await Promise.all([load(from, 'from'), load(to, 'to')]);
      return json(200, { from, to, changes: diffPolicies(a.policy, b.policy) } satisfies DiffResponse);
    }),
  );

  route(
    'GET /v1/admin/policy/pending',
    httpHandler({ groups: READERS, logError }, async () => {
      const [pending, current] = await Promise.all([deps.policies.listPending(), active()]);
      return json(200, {
        activeVersion: current.version,
        pending: pending.map((p) => ({
          version: p.version,
          baseVersion: p.baseVersion,
          reason: p.reason,
          proposedBy: p.proposedBy,
          proposedAt: p.proposedAt,
          status: p.status,
          stale: p.baseVersion !== current.version,
          ...(p.baseVersion === current.version ? { changes: diffPolicies(current.policy, p.policy) } : {}),
          ...(p.weakening ? { weakening: p.weakening } : {}),
          ...(p.backtest ? { backtest: p.backtest } : {}),
        })),
      } satisfies PendingResponse);
    }),
  );

  async function pendingOf(event: HttpEvent): Promise<PendingChange> {
    const pending = await deps.policies.getPending(versionParam(event, 'version'));
    if (!pending || pending.status !== 'pending')
      throw new NotFoundError('no change awaiting approval for this version');
    return pending;
  }

  route(
    'POST /v1/admin/policy/pending/{version}/approve',
    httpHandler({ body: reviewBody, groups: CHANGERS, logError }, async ({ body, event }) => {
      const caller = callerOf(event);
      const pending = await pendingOf(event);
      if (pending.proposedBySubject === caller.subject) {
        throw new ForbiddenError('a second person must approve: you proposed this change');
      }
      const base =
        pending.baseVersion === 0 ? deps.fallbackPolicy : await deps.policies.getVersion(pending.baseVersion);
      const changes = base ? diffPolicies(base.policy, pending.policy) : [];
      const common = {
        action: 'policy.update',
        policyVersion: pending.version,
        why: pending.reason,
        before: { version: pending.baseVersion, ...(base ? { sha256: sha256(base.policy) } : {}) },
        after: policySummary({ version: pending.version, policy: pending.policy }),
      };
      const data = {
        changes: auditChanges(changes),
        ...(pending.weakening ? { weakening: auditWeakening(pending.weakening) } : {}),
        ...(pending.backtest ? { backtest: pending.backtest } : {}),
        proposedBy: pending.proposedBy,
        proposedAt: pending.proposedAt,
        ...(body.note ? { approvalNote: body.note } : {}),
      };
      const result = await deps.policies.approve(
        pending,
        { by: who(caller), at: nowIso(), ...(body.note ? { note: body.note } : {}) },
        [
          changeEvent(caller, 'policy.approved', `policy:v${pending.version}:approved`, {
            ...common,
            outcome: 'approved',
            data,
          }),
          changeEvent(caller, 'policy.changed', `policy:v${pending.version}:changed`, {
            ...common,
            outcome: 'applied',
            data,
          }),
        ],
      );
      if (result === 'stale') {
        throw new ConflictError(
          `the active policy is no longer version ${pending.baseVersion}: reject this change and propose it again`,
          { field: 'version' },
        );
      }
      if (result === 'not_pending') throw new ConflictError('this change was approved or rejected meanwhile');
      return json(
        200,
        { version: pending.version, effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS } satisfies ReviewResponse,
        { etag: `"${pending.version}"` },
      );
    }),
  );

  route(
    'POST /v1/admin/policy/pending/{version}/reject',
    httpHandler({ body: reviewBody, groups: CHANGERS, logError }, async ({ body, event }) => {
      const caller = callerOf(event);
      const pending = await pendingOf(event);
      const result = await deps.policies.reject(
        pending,
        { by: who(caller), at: nowIso(), ...(body.note ? { note: body.note } : {}) },
        [
          changeEvent(caller, 'policy.approved', `policy:v${pending.version}:rejected:${pending.proposedAt}`, {
            action: 'policy.update',
            policyVersion: pending.version,
            outcome: 'rejected',
            ...(body.note ? { why: body.note } : {}),
            data: { proposedBy: pending.proposedBy, proposedAt: pending.proposedAt },
          }),
        ],
      );
      if (result === 'not_pending') throw new ConflictError('this change was approved or rejected meanwhile');
      return json(200, { version: pending.version, status: 'rejected' } satisfies ReviewResponse);
    }),
  );

  // ---- simulate

  /** Reads pages of `read` until it ends, the chunk size or the time budget is reached. */
  async function replayChunk<T>(
    read: (page: {
      limit: number;
      cursor?: string;
    }) => Promise<{ items: readonly T[]; cursor?: string; position: number }>,
    cursor: string | undefined,
    each: (item: T) => void,
  ): Promise<{ cursor?: string; position: number; processed: number }> {
    const started = elapsed();
    let next = cursor;
    let processed = 0;
    let position = 0;
    for (;;) {
      const page = await cursorSafe(
        read({ limit: Math.min(1000, chunkEvents - processed), ...(next ? { cursor: next } : {}) }),
      );
      for (const item of page.items) each(item);
      processed += page.items.length;
      position = page.position;
      next = page.cursor;
      if (!next || processed >= chunkEvents || elapsed() - started > budgetMs) break;
    }
    return { ...(next ? { cursor: next } : {}), position, processed };
  }

  async function chunkAnswer(
    report: SimulationReport,
    window: TimeWindow,
    chunk: { cursor?: string; position: number },
    run?: ShadowRunView,
  ): Promise<HttpResult> {
    return json(200, {
      ...(run ? { run } : {}),
      complete: chunk.cursor === undefined,
      ...(chunk.cursor ? { cursor: await wrapCursor(cursors, window, chunk.cursor) } : {}),
      progress: {
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
        position: new Date(Math.min(window.to, Math.max(window.from, chunk.position))).toISOString(),
      },
      report,
    } satisfies ReplayChunkResponse | ShadowReportResponse);
  }

  route(
    'POST /v1/admin/policy/simulate',
    httpHandler(
      { body: simulateBody, maxBodyBytes: POLICY_BODY_BYTES, groups: READERS, logError },
      async ({ body, event }) => {
        const caller = callerOf(event);
        if (body.policy && body.version !== undefined) {
          throw new InvalidRequestError(
            'version: give either a policy document or a stored version, not both',
            'version',
          );
        }
        const current = await active();
        let candidate: Policy;
        if (body.policy) candidate = parseCandidate(body.policy, numberOr(body.policy.version, current.version + 1));
        else if (body.version !== undefined) {
          const stored = await deps.policies.getVersion(body.version);
          if (!stored) throw new InvalidRequestError(`version: no version ${body.version}`, 'version');
          candidate = stored.policy;
        } else candidate = current.policy;
        let baseline: Policy | undefined;
        if (body.baseline === 'active') baseline = current.policy;
        else if (typeof body.baseline === 'number') {
          const stored = await deps.policies.getVersion(body.baseline);
          if (!stored) throw new InvalidRequestError(`baseline: no version ${body.baseline}`, 'baseline');
          baseline = stored.policy;
        }
        const continued = await unwrapCursor(cursors, body.cursor);
        const window = continued?.window ?? windowOf(body.from, body.to, deps.clock());
        const simulation = new Simulation(candidate, {
          ...(baseline ? { baseline } : {}),
          ...(body.maxChangedEvents !== undefined ? { maxChangedEvents: body.maxChangedEvents } : {}),
        });
        const chunk = await replayChunk(
          (page) => deps.events.replayEvents(window, page),
          continued?.inner,
          (e) => simulation.add(e),
        );
        const report = simulation.report();
        await recordRead(event, caller, {
          action: 'policy.simulate',
          data: {
            from: new Date(window.from).toISOString(),
            to: new Date(window.to).toISOString(),
            events: report.events.total,
            candidateSha256: sha256(candidate),
            continued: body.cursor !== undefined,
          },
        });
        return chunkAnswer(report, window, chunk);
      },
    ),
  );

  // ---- shadow

  function runView(run: ShadowRun, withPolicy = false): ShadowRunView {
    return {
      runId: run.runId,
      status: run.status,
      candidateVersion: run.policy.version,
      startedAt: run.startedAt,
      startedBy: run.startedBy,
      reason: run.reason,
      ...(run.stoppedAt ? { stoppedAt: run.stoppedAt } : {}),
      ...(run.stoppedBy ? { stoppedBy: run.stoppedBy } : {}),
      ...(withPolicy ? { policy: run.policy } : {}),
    };
  }

  route(
    'GET /v1/admin/shadow',
    httpHandler({ groups: READERS, logError }, async () => {
      const run = await deps.policies.getShadow();
      return json(200, (run ? runView(run, true) : { status: 'none' }) satisfies ShadowStatusResponse);
    }),
  );

  route(
    'POST /v1/admin/shadow',
    httpHandler(
      { body: shadowStartBody, maxBodyBytes: POLICY_BODY_BYTES, groups: CHANGERS, logError },
      async ({ body, event }) => {
        const caller = callerOf(event);
        const current = await active();
        const policy = parseCandidate(body.policy, numberOr(body.policy.version, current.version + 1));
        const run: ShadowRun = {
          runId: deps.newId(),
          policy,
          status: 'running',
          startedAt: nowIso(),
          startedBy: who(caller),
          reason: body.reason,
        };
        const started = await deps.policies.startShadow(run, [
          changeEvent(caller, 'shadow.changed', `shadow:${run.runId}:started`, {
            action: 'shadow.start',
            outcome: 'running',
            policyVersion: current.version,
            why: body.reason,
            before: policySummary(current),
            after: { runId: run.runId, ...policySummary({ version: policy.version, policy }) },
            data: { runId: run.runId, changes: auditChanges(diffPolicies(current.policy, policy)) },
          }),
        ]);
        if (started === 'already_running') {
          throw new ConflictError('a shadow run is already active: stop it first (POST /v1/admin/shadow/stop)');
        }
        return json(201, {
          ...runView(run),
          effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS,
        } satisfies ShadowRunView);
      },
    ),
  );

  route(
    'POST /v1/admin/shadow/stop',
    httpHandler({ body: shadowStopBody, groups: CHANGERS, logError }, async ({ body, event }) => {
      const caller = callerOf(event);
      const run = await deps.policies.getShadow();
      if (!run || run.status !== 'running') throw new NotFoundError('no shadow run is active');
      const at = nowIso();
      const stopped = await deps.policies.stopShadow(run, { by: who(caller), at }, [
        changeEvent(caller, 'shadow.changed', `shadow:${run.runId}:stopped`, {
          action: 'shadow.stop',
          outcome: 'stopped',
          why: body.reason,
          before: { runId: run.runId, status: 'running' },
          after: { runId: run.runId, status: 'stopped' },
          data: { runId: run.runId },
        }),
      ]);
      if (stopped === 'not_running') throw new ConflictError('the shadow run was stopped or replaced meanwhile');
      return json(200, runView({ ...run, status: 'stopped', stoppedAt: at, stoppedBy: who(caller) }));
    }),
  );

  route(
    'GET /v1/admin/shadow/report',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const caller = callerOf(event);
      const runId = query(event, 'runId');
      if (runId !== undefined && !isGeneratedId(runId)) throw new InvalidRequestError('runId: not a run id', 'runId');
      const run = runId ? await deps.policies.getShadowRun(runId) : await deps.policies.getShadow();
      if (!run) throw new NotFoundError(runId ? 'no such shadow run' : 'no shadow run was ever started');
      const end = run.stoppedAt ? Date.parse(run.stoppedAt) : deps.clock();
      // Decisions are indexed by their own time, which a client may date up to 24 h back or 5 min ahead.
      const continued = await unwrapCursor(cursors, query(event, 'cursor'));
      const window: TimeWindow = continued?.window ?? {
        from: Date.parse(run.startedAt) - EVENT_BACKDATE_MS,
        to: end + EVENT_FORWARD_MS + (POLICY_PROPAGATION_SECONDS + 1) * 1000,
      };
      const tally = new ComparisonTally(run.policy.version, 'recorded');
      const chunk = await replayChunk(
        (page) => deps.events.shadowEvents(run.runId, window, page),
        continued?.inner,
        ({ event: e, shadow }) => tally.add(e, e.recorded, { decision: shadow.decision, score: shadow.score }),
      );
      const report = tally.report();
      await recordRead(event, caller, {
        action: 'shadow.report',
        data: { runId: run.runId, events: report.events.total },
      });
      return chunkAnswer(report, window, chunk, runView(run));
    }),
  );

  // ---- events and feedback

  route(
    'GET /v1/admin/users/{userId}/events',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const caller = callerOf(event);
      const userId = pathParam(event, 'userId');
      const problem = identifierProblem(userId);
      if (problem !== undefined) throw new InvalidRequestError(`userId: ${problem}`, 'userId');
      const limit = intParam(event, 'limit', 1, 200, 50)!;
      const cursor = query(event, 'cursor');
      const page = await cursorSafe(deps.events.userEvents(userId, { limit, ...(cursor ? { cursor } : {}) }));
      await recordRead(event, caller, {
        action: 'users.events.read',
        subject: userId,
        data: { events: page.items.length, continued: cursor !== undefined },
      });
      return json(200, {
        userId,
        events: page.items.map(eventView),
        ...(page.cursor ? { cursor: page.cursor } : {}),
      } satisfies UserEventsResponse);
    }),
  );

  route(
    'GET /v1/admin/events',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const caller = callerOf(event);
      const continued = await unwrapCursor(cursors, query(event, 'cursor'));
      const window = continued?.window ?? windowOf(query(event, 'from'), query(event, 'to'), deps.clock());
      const limit = intParam(event, 'limit', 1, 1000, 500)!;
      const cursor = continued?.inner;
      const page = await cursorSafe(deps.events.replayEvents(window, { limit, ...(cursor ? { cursor } : {}) }));
      await recordRead(event, caller, {
        action: 'events.export',
        data: {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          events: page.items.length,
          continued: cursor !== undefined,
        },
      });
      return json(200, {
        events: page.items.map(toReplayEventJson),
        ...(page.cursor ? { cursor: await wrapCursor(cursors, window, page.cursor) } : {}),
        progress: {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          position: new Date(page.position).toISOString(),
        },
      } satisfies EventsExportResponse);
    }),
  );

  async function eventOf(event: HttpEvent): Promise<RecordedEvent> {
    const decisionId = pathParam(event, 'decisionId');
    const found = isGeneratedId(decisionId) ? await deps.events.getEvent(decisionId) : undefined;
    if (!found) throw new NotFoundError('decision not found');
    return found;
  }

  route(
    'GET /v1/admin/events/{decisionId}',
    httpHandler({ groups: READERS, logError }, async ({ event }) => {
      const caller = callerOf(event);
      const found = await eventOf(event);
      await recordRead(event, caller, {
        action: 'events.read',
        subject: found.userId,
        data: { decisionId: found.decisionId },
      });
      return json(200, eventView(found));
    }),
  );

  route(
    'POST /v1/admin/events/{decisionId}/feedback',
    httpHandler({ body: feedbackBody, groups: CHANGERS, logError }, async ({ body, event }) => {
      const caller = callerOf(event);
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = await eventOf(event);
        const before = found.feedback;
        const removing = body.label === 'none';
        if (removing && !before) {
          return json(200, { decisionId: found.decisionId, label: 'none' } satisfies FeedbackResponse);
        }
        if (!removing && before?.label === body.label && (before.note ?? '') === (body.note ?? '')) {
          return json(200, {
            decisionId: found.decisionId,
            ...before,
            revision: found.feedbackRevision,
          } satisfies FeedbackResponse);
        }
        const at = nowIso();
        const next = removing
          ? undefined
          : { label: body.label as 'fraud' | 'legit', ...(body.note ? { note: body.note } : {}), by: who(caller), at };
        const revision = found.feedbackRevision + 1;
        const result = await deps.events.setFeedback(found.decisionId, next, found.feedbackRevision, {
          eventId: `feedback:${found.decisionId}:r${revision}`,
          kind: removing ? 'feedback.removed' : 'feedback.labelled',
          actor: actor(caller),
          subject: found.userId,
          action: 'feedback.label',
          outcome: body.label,
          at,
          ...(body.note ? { why: body.note } : {}),
          before: before ? { label: before.label, by: before.by, at: before.at } : null,
          after: next ? { label: next.label, by: next.by, at: next.at } : null,
          data: {
            decisionId: found.decisionId,
            decision: found.decision,
            action: found.action,
            revision,
            ...(caller.username ? { username: caller.username } : {}),
          },
        });
        if (result === 'not_found') throw new NotFoundError('decision not found');
        if (result === 'written') {
          return json(200, {
            decisionId: found.decisionId,
            ...(next ?? {}),
            label: body.label,
            revision,
          } satisfies FeedbackResponse);
        }
      }
      throw new ConflictError('the label of this decision is being changed by someone else; try again');
    }),
  );

  return async (event, context) => {
    const handler = routes[event.routeKey];
    if (!handler) return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
    return handler(event, context);
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : fallback;
}

/** Every route this handler serves, for the route table (contracts/routes.ts) and its tests. */
export const ADMIN_ROUTE_KEYS = [
  'GET /v1/admin/policy',
  'PUT /v1/admin/policy',
  'GET /v1/admin/policy/versions',
  'GET /v1/admin/policy/versions/{version}',
  'GET /v1/admin/policy/diff',
  'GET /v1/admin/policy/pending',
  'POST /v1/admin/policy/pending/{version}/approve',
  'POST /v1/admin/policy/pending/{version}/reject',
  'POST /v1/admin/policy/simulate',
  'GET /v1/admin/shadow',
  'POST /v1/admin/shadow',
  'POST /v1/admin/shadow/stop',
  'GET /v1/admin/shadow/report',
  'GET /v1/admin/users/{userId}/events',
  'GET /v1/admin/events',
  'GET /v1/admin/events/{decisionId}',
  'POST /v1/admin/events/{decisionId}/feedback',
] as const;
