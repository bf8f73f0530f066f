import type { CursorCodec } from '../../core/paging/signed-cursor';
import type { Policy } from '../../core/policy/policy-schema';
import { Simulation, type SimulationReport } from '../../core/simulation/simulation';
import type { AdminEventStore, TimeWindow } from '../../ports/admin-event-store';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { PolicyAdminStore } from '../../ports/policy-admin-store';
import type { UserActor } from '../actor';
import { recordRead } from '../audit-read/record-read';
import { InvalidInputError } from '../errors';
import { activePolicy, candidateVersion, parseCandidate, type PolicySource } from '../policy-change/active-policy';
import { sha256 } from '../policy-change/policy-audit';
import { replayChunk, type ReplayChunk, type ReplayLimits } from './replay-chunk';
import { windowOf } from './time-window';
import { openWindowCursor, sealWindowCursor } from './window-cursor';

export interface SimulateDependencies extends PolicySource {
  readonly policies: Pick<PolicyAdminStore, 'getActive' | 'getVersion'>;
  readonly events: Pick<AdminEventStore, 'replayEvents'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly cursors: CursorCodec;
  readonly replay: ReplayLimits;
}

export interface SimulateRequest {
  readonly actor: UserActor;
  readonly requestId: string;
  /** The candidate document; or `version`, a stored version; neither: the active policy. */
  readonly policy?: Readonly<Record<string, unknown>>;
  readonly version?: number;
  /** What the candidate is compared with: the recorded decisions (default), the active policy, or a version. */
  readonly baseline?: 'recorded' | 'active' | number;
  readonly from?: string;
  readonly to?: string;
  /** A cursor of the previous chunk: continues its window. */
  readonly cursor?: string;
  readonly maxChangedEvents?: number;
}

/** One chunk of a replay: its report, the window, how far it got, and the cursor that continues it. */
export interface ReplayedChunk {
  readonly report: SimulationReport;
  readonly window: TimeWindow;
  readonly chunk: ReplayChunk;
  /** The continuation as the client sends it back (the window sealed with the store's cursor). */
  readonly cursor?: string;
}

async function storedPolicy(deps: SimulateDependencies, version: number, field: string): Promise<Policy> {
  const stored = await deps.policies.getVersion(version);
  if (!stored) throw new InvalidInputError(`${field}: no version ${version}`, field);
  return stored.policy;
}

/**
 * Replays recorded decisions under a candidate policy and reports how they move, a chunk at a time (the cursor
 * continues). The read of recorded decisions is audited (`policy.simulate`) before the report is returned.
 */
export async function simulatePolicy(deps: SimulateDependencies, request: SimulateRequest): Promise<ReplayedChunk> {
  if (request.policy && request.version !== undefined) {
    throw new InvalidInputError('version: give either a policy document or a stored version, not both', 'version');
  }
  const current = await activePolicy(deps);
  const candidate = request.policy
    ? parseCandidate(request.policy, candidateVersion(request.policy, current.version + 1))
    : request.version !== undefined
      ? await storedPolicy(deps, request.version, 'version')
      : current.policy;
  const baseline =
    request.baseline === 'active'
      ? current.policy
      : typeof request.baseline === 'number'
        ? await storedPolicy(deps, request.baseline, 'baseline')
        : undefined;
  const continued = await openWindowCursor(deps.cursors, request.cursor);
  const window = continued?.window ?? windowOf(request.from, request.to, deps.clock());
  const simulation = new Simulation(candidate, {
    ...(baseline ? { baseline } : {}),
    ...(request.maxChangedEvents !== undefined ? { maxChangedEvents: request.maxChangedEvents } : {}),
  });
  const chunk = await replayChunk(
    deps.replay,
    (page) => deps.events.replayEvents(window, page),
    continued?.inner,
    (e) => simulation.add(e),
  );
  const report = simulation.report();
  await recordRead(deps, {
    actor: request.actor,
    requestId: request.requestId,
    action: 'policy.simulate',
    data: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      events: report.events.total,
      candidateSha256: sha256(candidate),
      continued: request.cursor !== undefined,
    },
  });
  const cursor = await sealWindowCursor(deps.cursors, window, chunk.cursor);
  return { report, window, chunk, ...(cursor ? { cursor } : {}) };
}
