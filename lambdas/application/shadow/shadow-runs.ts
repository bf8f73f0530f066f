import { isGeneratedId } from '../../contracts/identifiers';
import type { CursorCodec } from '../../core/paging/signed-cursor';
import { diffPolicies } from '../../core/policy/policy-diff';
import { ComparisonTally } from '../../core/simulation/simulation';
import type { AdminEventStore, TimeWindow } from '../../ports/admin-event-store';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { PolicyAdminStore, ShadowRun } from '../../ports/policy-admin-store';
import { displayName, type UserActor } from '../actor';
import { recordRead } from '../audit-read/record-read';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import {
  activePolicy,
  candidateVersion,
  parseCandidate,
  POLICY_PROPAGATION_SECONDS,
  type PolicySource,
} from '../policy-change/active-policy';
import { auditChanges, changeEvent, policySummary } from '../policy-change/policy-audit';
import { replayChunk, type ReplayLimits } from '../replay/replay-chunk';
import type { ReplayedChunk } from '../replay/simulate';
import { openWindowCursor, sealWindowCursor } from '../replay/window-cursor';

/** A decision may be dated up to 24 h back (`context.timestamp`): shadow reports look that far before the start. */
const EVENT_BACKDATE_MS = 24 * 3600_000;
/** ... and up to 5 minutes ahead. */
const EVENT_FORWARD_MS = 5 * 60_000;

export interface ShadowDependencies extends PolicySource {
  readonly policies: PolicyAdminStore;
  readonly events: Pick<AdminEventStore, 'shadowEvents'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly cursors: CursorCodec;
  readonly replay: ReplayLimits;
}

/**
 * Starts scoring a candidate beside the live policy on every decision (one run at a time), recorded as
 * `shadow.changed` with the candidate's diff against the active policy.
 */
export async function startShadow(
  deps: ShadowDependencies,
  request: { actor: UserActor; document: Readonly<Record<string, unknown>>; reason: string },
): Promise<ShadowRun> {
  const { actor, reason } = request;
  const current = await activePolicy(deps);
  const policy = parseCandidate(request.document, candidateVersion(request.document, current.version + 1));
  const at = new Date(deps.clock()).toISOString();
  const run: ShadowRun = {
    runId: deps.newId(),
    policy,
    status: 'running',
    startedAt: at,
    startedBy: displayName(actor),
    reason,
  };
  const started = await deps.policies.startShadow(run, [
    changeEvent(actor, at, 'shadow.changed', `shadow:${run.runId}:started`, {
      action: 'shadow.start',
      outcome: 'running',
      policyVersion: current.version,
      why: reason,
      before: policySummary(current),
      after: { runId: run.runId, ...policySummary({ version: policy.version, policy }) },
      data: { runId: run.runId, changes: auditChanges(diffPolicies(current.policy, policy)) },
    }),
  ]);
  if (started === 'already_running') {
    throw new ConflictError('a shadow run is already active: stop it first (POST /v1/admin/shadow/stop)');
  }
  return run;
}

/** Stops the running candidate, recorded as `shadow.changed`. */
export async function stopShadow(
  deps: ShadowDependencies,
  request: { actor: UserActor; reason: string },
): Promise<ShadowRun> {
  const { actor, reason } = request;
  const run = await deps.policies.getShadow();
  if (!run || run.status !== 'running') throw new NotFoundError('no shadow run is active');
  const at = new Date(deps.clock()).toISOString();
  const stopped = await deps.policies.stopShadow(run, { by: displayName(actor), at }, [
    changeEvent(actor, at, 'shadow.changed', `shadow:${run.runId}:stopped`, {
      action: 'shadow.stop',
      outcome: 'stopped',
      why: reason,
      before: { runId: run.runId, status: 'running' },
      after: { runId: run.runId, status: 'stopped' },
      data: { runId: run.runId },
    }),
  ]);
  if (stopped === 'not_running') throw new ConflictError('the shadow run was stopped or replaced meanwhile');
  return { ...run, status: 'stopped', stoppedAt: at, stoppedBy: displayName(actor) };
}

/**
 * How the candidate of a run (the current one, or `runId`) disagreed with the live decisions, a chunk at a time.
 * The read lists users' decisions, so it is audited (`shadow.report`) before the report is returned.
 */
export async function shadowReport(
  deps: ShadowDependencies,
  request: { actor: UserActor; requestId: string; runId?: string; cursor?: string },
): Promise<ReplayedChunk & { run: ShadowRun }> {
  const { runId } = request;
  if (runId !== undefined && !isGeneratedId(runId)) throw new InvalidInputError('runId: not a run id', 'runId');
  const run = runId ? await deps.policies.getShadowRun(runId) : await deps.policies.getShadow();
  if (!run) throw new NotFoundError(runId ? 'no such shadow run' : 'no shadow run was ever started');
  const end = run.stoppedAt ? Date.parse(run.stoppedAt) : deps.clock();
  // Decisions are indexed by their own time, which a client may date up to 24 h back or 5 min ahead; a decide
  // instance may score the candidate for as long as its policy cache lasts after the stop.
  const continued = await openWindowCursor(deps.cursors, request.cursor);
  const window: TimeWindow = continued?.window ?? {
    from: Date.parse(run.startedAt) - EVENT_BACKDATE_MS,
    to: end + EVENT_FORWARD_MS + (POLICY_PROPAGATION_SECONDS + 1) * 1000,
  };
  const tally = new ComparisonTally(run.policy.version, 'recorded');
  const chunk = await replayChunk(
    deps.replay,
    (page) => deps.events.shadowEvents(run.runId, window, page),
    continued?.inner,
    ({ event: e, shadow }) => tally.add(e, e.recorded, { decision: shadow.decision, score: shadow.score }),
  );
  const report = tally.report();
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'shadow.report',
    data: { runId: run.runId, events: report.events.total },
  });
  const cursor = await sealWindowCursor(deps.cursors, window, chunk.cursor);
  return { run, report, window, chunk, ...(cursor ? { cursor } : {}) };
}
