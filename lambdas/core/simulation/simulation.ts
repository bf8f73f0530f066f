/**
 * Backtesting: replay recorded decisions under a candidate policy and report how the answers move.
 *
 * Each recorded event is re-evaluated on exactly the input the engine saw when it was decided (profile, counters,
 * population counts, grant: see replay-input.ts), so the candidate's answer is the one the live service would have
 * given at that moment under that policy. What the replay cannot know is how the candidate would have changed the
 * *future*: a profile learns only from low-risk allows, so a stricter policy that challenges more would also have
 * taught profiles less. The report is therefore "this policy on this traffic", the same question shadow mode
 * answers live, and the two agree event for event.
 *
 * Deterministic: the report depends only on the events (as a set: it is independent of the order they are added
 * in), the candidate and the baseline. No clock, no randomness, sorted keys and a sorted, capped event list.
 */

import { UnknownActionError } from '../errors';
import { evaluate } from '../risk/engine';
import type { Policy } from '../risk/types';
import { evaluationInputFrom, isReplayInput } from './replay-input';
import { ComparisonTally } from './comparison-tally';
import { DEFAULT_MAX_CHANGED_EVENTS, type Outcome, type ReplayEvent, type SimulationReport } from './simulation-report';

export * from './simulation-report';
export { bucketOf, ComparisonTally, type EventMeta } from './comparison-tally';

function scoredReasons(reasons: readonly { code: string; points: number }[]): string[] {
  return reasons.filter((r) => r.points !== 0).map((r) => r.code);
}

export type ReplayResult = { ok: true; outcome: Outcome } | { ok: false; why: 'notReplayable' | 'unknownAction' };

/** The engine's answer for a recorded event under `policy`. */
export function replayEvent(event: ReplayEvent, policy: Policy): ReplayResult {
  if (!event.replay || !isReplayInput(event.replay)) return { ok: false, why: 'notReplayable' };
  try {
    const evaluation = evaluate(evaluationInputFrom(event, event.replay, policy));
    return {
      ok: true,
      outcome: { decision: evaluation.decision, score: evaluation.score, reasons: scoredReasons(evaluation.reasons) },
    };
  } catch (error) {
    // The candidate's catalogue may drop an action: those events cannot be answered by it, which the report says.
    if (error instanceof UnknownActionError) return { ok: false, why: 'unknownAction' };
    throw error;
  }
}

export interface SimulationOptions {
  /** Compare against this policy re-evaluated instead of the recorded answers. */
  readonly baseline?: Policy;
  readonly maxChangedEvents?: number;
}

/** A replay in progress: add events (any order), read the report. */
export class Simulation {
  private readonly tally: ComparisonTally;

  constructor(
    private readonly candidate: Policy,
    private readonly options: SimulationOptions = {},
  ) {
    this.tally = new ComparisonTally(
      candidate.version,
      options.baseline ? options.baseline.version : 'recorded',
      options.maxChangedEvents,
    );
  }

  add(event: ReplayEvent): void {
    const after = replayEvent(event, this.candidate);
    if (!after.ok) return this.tally.skip(after.why);
    let before: Outcome = { decision: event.recorded.decision, score: event.recorded.score };
    if (this.options.baseline) {
      const base = replayEvent(event, this.options.baseline);
      if (!base.ok) return this.tally.skip(base.why);
      before = base.outcome;
    }
    // Reasons are kept only where they explain something: on the events whose decision changed.
    const changed = before.decision !== after.outcome.decision;
    this.tally.add(event, changed ? before : strip(before), changed ? after.outcome : strip(after.outcome));
  }

  merge(report: SimulationReport): void {
    this.tally.merge(report);
  }

  report(): SimulationReport {
    return this.tally.report();
  }
}

function strip(o: Outcome): Outcome {
  return { decision: o.decision, score: o.score };
}

/** Replays `events` under `candidate`. */
export function simulate(
  events: Iterable<ReplayEvent>,
  candidate: Policy,
  options: SimulationOptions = {},
): SimulationReport {
  const simulation = new Simulation(candidate, options);
  for (const event of events) simulation.add(event);
  return simulation.report();
}

/** Combines reports of the same candidate over disjoint sets of events (chunks of one long replay). */
export function mergeReports(
  reports: readonly SimulationReport[],
  maxChangedEvents = DEFAULT_MAX_CHANGED_EVENTS,
): SimulationReport | undefined {
  const first = reports[0];
  if (!first) return undefined;
  const tally = new ComparisonTally(first.candidateVersion, first.baseline, maxChangedEvents);
  for (const r of reports) tally.merge(r);
  return tally.report();
}
