import { decisionRank } from '../risk/engine';
import type { Decision } from '../risk/types';
import { DECISIONS, type SimulationReport } from './simulation';

/**
 * What an approver sees of a weakening change's effect: recent recorded decisions replayed under the active
 * policy and under the proposal, and how many of them the proposal would answer more leniently, per action.
 */
export interface ActionBacktest {
  readonly action: string;
  readonly compared: number;
  /** Decisions that move towards allow: step_up → allow, deny → allow, deny → step_up. */
  readonly towardAllow: number;
  readonly stepUpToAllow: number;
  readonly denyToAllow: number;
  readonly denyToStepUp: number;
}

export interface BacktestSummary {
  /** The window replayed (ISO-8601). */
  readonly from: string;
  readonly to: string;
  /** Decisions replayed under both policies. */
  readonly compared: number;
  /** Decisions that could not be replayed (recorded before replay inputs were kept, or an action the proposal drops). */
  readonly skipped: number;
  /** The replay stopped at its bound while the window held more decisions: the counts cover the first ones only. */
  readonly truncated: boolean;
  readonly towardAllow: number;
  /** Per action replayed, by name. A list rather than a map: action names are data, never field names. */
  readonly byAction: readonly ActionBacktest[];
}

function moves(matrix: Record<Decision, Record<Decision, number>>) {
  let towardAllow = 0;
  for (const before of DECISIONS) {
    for (const after of DECISIONS) {
      if (decisionRank(after) < decisionRank(before)) towardAllow += matrix[before][after];
    }
  }
  return {
    towardAllow,
    stepUpToAllow: matrix.step_up.allow,
    denyToAllow: matrix.deny.allow,
    denyToStepUp: matrix.deny.step_up,
  };
}

/** Condenses a simulation of the proposal (baseline: the active policy) to what an approval request shows. */
export function backtestSummary(
  report: SimulationReport,
  window: { readonly from: number; readonly to: number },
  truncated: boolean,
): BacktestSummary {
  const byAction: ActionBacktest[] = [];
  for (const name of Object.keys(report.byAction).sort()) {
    const action = report.byAction[name]!;
    if (action.compared > 0) byAction.push({ action: name, compared: action.compared, ...moves(action.transitions) });
  }
  return {
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    compared: report.events.compared,
    skipped: report.events.skipped.notReplayable + report.events.skipped.unknownAction,
    truncated,
    towardAllow: moves(report.transitions).towardAllow,
    byAction,
  };
}
