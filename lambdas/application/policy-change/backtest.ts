import type { Policy } from '../../core/policy/policy-schema';
import { backtestSummary, type BacktestSummary } from '../../core/simulation/backtest-summary';
import { Simulation } from '../../core/simulation/simulation';
import type { AdminEventStore, TimeWindow } from '../../ports/admin-event-store';
import type { Clock } from '../../ports/clock';
import { replayChunk, type ReplayLimits } from '../replay/replay-chunk';

/** A weakening change is backtested on the recorded decisions of this window before now, at most this many. */
export const BACKTEST_WINDOW_MS = 7 * 86_400_000;
export const BACKTEST_MAX_EVENTS = 5000;

export interface BacktestDependencies {
  readonly events: Pick<AdminEventStore, 'replayEvents'>;
  readonly clock: Clock;
  readonly replay: ReplayLimits;
  /** Recorded decisions replayed, at most (default BACKTEST_MAX_EVENTS). */
  readonly backtestMaxEvents?: number;
}

/**
 * Replays the most recent recorded decisions (BACKTEST_WINDOW_MS back, at most backtestMaxEvents of them, within
 * the replay time budget) under the active policy and under the proposal: what the approver sees of its effect.
 */
export async function backtestProposal(
  deps: BacktestDependencies,
  active: Policy,
  proposal: Policy,
): Promise<BacktestSummary> {
  const now = deps.clock();
  const window: TimeWindow = { from: now - BACKTEST_WINDOW_MS, to: now + 1 };
  const simulation = new Simulation(proposal, { baseline: active, maxChangedEvents: 0 });
  const limits = { ...deps.replay, chunkEvents: Math.max(1, deps.backtestMaxEvents ?? BACKTEST_MAX_EVENTS) };
  const chunk = await replayChunk(
    limits,
    (page) => deps.events.replayEvents(window, page),
    undefined,
    (e) => simulation.add(e),
  );
  return backtestSummary(simulation.report(), window, chunk.cursor !== undefined);
}
