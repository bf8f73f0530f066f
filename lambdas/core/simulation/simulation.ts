import { UnknownActionError } from '../errors';
import { evaluate } from '../risk/engine';
import type { Decision, Policy, RequestFeatures } from '../risk/types';
import { evaluationInputFrom, isReplayInput, type ReplayInput } from './replay-input';

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

export const DECISIONS = ['allow', 'step_up', 'deny'] as const satisfies readonly Decision[];
export const FEEDBACK_LABELS = ['fraud', 'legit'] as const;
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];
export const LABEL_KEYS = ['fraud', 'legit', 'unlabelled'] as const;
export type LabelKey = (typeof LABEL_KEYS)[number];

export const HISTOGRAM_BUCKET_WIDTH = 10;
/** Scores 0-9, 10-19, ..., 80-89, 90-100. */
export const HISTOGRAM_BUCKETS = 10;
export const DEFAULT_MAX_CHANGED_EVENTS = 1000;

/** One recorded decision, as the admin store or an exported events file gives it. */
export interface ReplayEvent {
  readonly decisionId: string;
  readonly userId: string;
  readonly action: string;
  /** Epoch ms: the time the engine was given. */
  readonly at: number;
  readonly features: RequestFeatures;
  readonly recorded: { readonly decision: Decision; readonly score: number; readonly policyVersion: number };
  /** Absent for decisions recorded before replay inputs were stored: those are counted, not replayed. */
  readonly replay?: ReplayInput;
  readonly label?: FeedbackLabel;
}

export interface Outcome {
  readonly decision: Decision;
  readonly score: number;
  /** Reason codes that scored points (changed events only). */
  readonly reasons?: readonly string[];
}

export type TransitionMatrix = Record<Decision, Record<Decision, number>>;

export interface Friction {
  /** Events answered step_up or deny. */
  readonly before: number;
  readonly after: number;
  readonly beforeRate: number;
  readonly afterRate: number;
}

export interface ActionReport {
  readonly compared: number;
  readonly changed: number;
  readonly transitions: TransitionMatrix;
  readonly friction: Friction;
}

export interface LabelReport {
  /** Events labelled fraud; caught = answered step_up or deny. */
  readonly fraud: {
    readonly events: number;
    readonly caughtBefore: number;
    readonly caughtAfter: number;
    readonly caughtRateBefore: number;
    readonly caughtRateAfter: number;
  };
  /** Events labelled legit; friction = answered step_up or deny. */
  readonly legit: {
    readonly events: number;
    readonly frictionBefore: number;
    readonly frictionAfter: number;
    readonly frictionRateBefore: number;
    readonly frictionRateAfter: number;
  };
  readonly unlabelled: number;
}

export interface ScoreHistograms {
  readonly bucketWidth: number;
  /** Per label, counts of scores per bucket (index = floor(score / 10), 100 in the last). */
  readonly before: Record<LabelKey, number[]>;
  readonly after: Record<LabelKey, number[]>;
}

export interface ChangedEvent {
  readonly decisionId: string;
  readonly userId: string;
  readonly action: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly label?: FeedbackLabel;
  readonly before: Outcome;
  readonly after: Outcome;
}

export interface SimulationReport {
  /** The candidate policy's version (as its document states it). */
  readonly candidateVersion: number;
  /** `recorded`: compared against what was answered; a number: against that policy version re-evaluated. */
  readonly baseline: 'recorded' | number;
  readonly events: {
    /** Events seen, replayed or not. */
    readonly total: number;
    readonly compared: number;
    readonly skipped: { readonly notReplayable: number; readonly unknownAction: number };
  };
  /** Time of the first and last compared event (ISO-8601), absent when none. */
  readonly range?: { readonly from: string; readonly to: string };
  readonly transitions: TransitionMatrix;
  /** Compared events whose decision changed. */
  readonly changed: number;
  /** Compared events whose score changed (decision changed or not). */
  readonly scoreChanged: number;
  readonly friction: Friction;
  readonly byAction: Record<string, ActionReport>;
  readonly labels: LabelReport;
  readonly histograms: ScoreHistograms;
  /** Changed events in time order, the first `maxChangedEvents` of them. */
  readonly changedEvents: readonly ChangedEvent[];
  readonly changedEventsTruncated: boolean;
}

const isFriction = (d: Decision) => d !== 'allow';
const rate = (n: number, d: number) => (d === 0 ? 0 : n / d);

function matrix(): TransitionMatrix {
  return {
    allow: { allow: 0, step_up: 0, deny: 0 },
    step_up: { allow: 0, step_up: 0, deny: 0 },
    deny: { allow: 0, step_up: 0, deny: 0 },
  };
}

function addMatrix(into: TransitionMatrix, from: TransitionMatrix): void {
  for (const b of DECISIONS) for (const a of DECISIONS) into[b][a] += from[b]?.[a] ?? 0;
}

export function bucketOf(score: number): number {
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.max(0, Math.floor(score / HISTOGRAM_BUCKET_WIDTH)));
}

function histograms(): Record<LabelKey, number[]> {
  return {
    fraud: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
    legit: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
    unlabelled: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
  };
}

/** Time order, then decision id: the same total order the byTime index gives. */
function compareEvents(a: { at: string; decisionId: string }, b: { at: string; decisionId: string }): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.decisionId < b.decisionId ? -1 : a.decisionId > b.decisionId ? 1 : 0;
}

interface ActionTally {
  compared: number;
  changed: number;
  transitions: TransitionMatrix;
  frictionBefore: number;
  frictionAfter: number;
}

/** The identity of an event in a report. */
export type EventMeta = Pick<ReplayEvent, 'decisionId' | 'userId' | 'action' | 'at' | 'label'>;

/**
 * Counts of a comparison between two answers per event. Shared by simulate (answers from replay) and the shadow
 * report (answers recorded live), so both report the same way; mergeable, so a long replay can run in chunks.
 */
export class ComparisonTally {
  private total = 0;
  private compared = 0;
  private notReplayable = 0;
  private unknownAction = 0;
  private changed = 0;
  private scoreChanged = 0;
  private first: string | undefined;
  private last: string | undefined;
  private readonly transitions = matrix();
  private frictionBefore = 0;
  private frictionAfter = 0;
  private readonly byAction = new Map<string, ActionTally>();
  private readonly labels = {
    fraud: { events: 0, caughtBefore: 0, caughtAfter: 0 },
    legit: { events: 0, frictionBefore: 0, frictionAfter: 0 },
    unlabelled: 0,
  };
  private readonly histBefore = histograms();
  private readonly histAfter = histograms();
  private changedEvents: ChangedEvent[] = [];
  private truncated = false;

  constructor(
    readonly candidateVersion: number,
    readonly baseline: 'recorded' | number,
    private readonly maxChangedEvents = DEFAULT_MAX_CHANGED_EVENTS,
  ) {}

  skip(why: 'notReplayable' | 'unknownAction'): void {
    this.total++;
    if (why === 'notReplayable') this.notReplayable++;
    else this.unknownAction++;
  }

  add(event: EventMeta, before: Outcome, after: Outcome): void {
    this.total++;
    this.compared++;
    const at = new Date(event.at).toISOString();
    if (this.first === undefined || at < this.first) this.first = at;
    if (this.last === undefined || at > this.last) this.last = at;
    const decisionChanged = before.decision !== after.decision;
    if (decisionChanged) this.changed++;
    if (before.score !== after.score) this.scoreChanged++;
    this.transitions[before.decision][after.decision]++;
    if (isFriction(before.decision)) this.frictionBefore++;
    if (isFriction(after.decision)) this.frictionAfter++;

    let action = this.byAction.get(event.action);
    if (!action) {
      action = { compared: 0, changed: 0, transitions: matrix(), frictionBefore: 0, frictionAfter: 0 };
      this.byAction.set(event.action, action);
    }
    action.compared++;
    if (decisionChanged) action.changed++;
    action.transitions[before.decision][after.decision]++;
    if (isFriction(before.decision)) action.frictionBefore++;
    if (isFriction(after.decision)) action.frictionAfter++;

    const label: LabelKey = event.label ?? 'unlabelled';
    if (label === 'fraud') {
      this.labels.fraud.events++;
      if (isFriction(before.decision)) this.labels.fraud.caughtBefore++;
      if (isFriction(after.decision)) this.labels.fraud.caughtAfter++;
    } else if (label === 'legit') {
      this.labels.legit.events++;
      if (isFriction(before.decision)) this.labels.legit.frictionBefore++;
      if (isFriction(after.decision)) this.labels.legit.frictionAfter++;
    } else {
      this.labels.unlabelled++;
    }
    this.histBefore[label][bucketOf(before.score)]!++;
    this.histAfter[label][bucketOf(after.score)]!++;

    if (decisionChanged) {
      this.keepChanged({
        decisionId: event.decisionId,
        userId: event.userId,
        action: event.action,
        at,
        ...(event.label ? { label: event.label } : {}),
        before,
        after,
      });
    }
  }

  private keepChanged(change: ChangedEvent): void {
    const list = this.changedEvents;
    // Events usually arrive in time order (append); otherwise insert in place, so the kept prefix never depends
    // on the order events were added in.
    let i = list.length;
    while (i > 0 && compareEvents(list[i - 1]!, change) > 0) i--;
    if (i >= this.maxChangedEvents) {
      this.truncated = true;
      return;
    }
    list.splice(i, 0, change);
    if (list.length > this.maxChangedEvents) {
      list.pop();
      this.truncated = true;
    }
  }

  /** Adds another tally's counts (a later chunk of the same replay, or the same candidate on other traffic). */
  merge(other: SimulationReport): void {
    this.total += other.events.total;
    this.compared += other.events.compared;
    this.notReplayable += other.events.skipped.notReplayable;
    this.unknownAction += other.events.skipped.unknownAction;
    this.changed += other.changed;
    this.scoreChanged += other.scoreChanged;
    if (other.range) {
      if (this.first === undefined || other.range.from < this.first) this.first = other.range.from;
      if (this.last === undefined || other.range.to > this.last) this.last = other.range.to;
    }
    addMatrix(this.transitions, other.transitions);
    this.frictionBefore += other.friction.before;
    this.frictionAfter += other.friction.after;
    for (const [name, a] of Object.entries(other.byAction)) {
      let mine = this.byAction.get(name);
      if (!mine) {
        mine = { compared: 0, changed: 0, transitions: matrix(), frictionBefore: 0, frictionAfter: 0 };
        this.byAction.set(name, mine);
      }
      mine.compared += a.compared;
      mine.changed += a.changed;
      addMatrix(mine.transitions, a.transitions);
      mine.frictionBefore += a.friction.before;
      mine.frictionAfter += a.friction.after;
    }
    this.labels.fraud.events += other.labels.fraud.events;
    this.labels.fraud.caughtBefore += other.labels.fraud.caughtBefore;
    this.labels.fraud.caughtAfter += other.labels.fraud.caughtAfter;
    this.labels.legit.events += other.labels.legit.events;
    this.labels.legit.frictionBefore += other.labels.legit.frictionBefore;
    this.labels.legit.frictionAfter += other.labels.legit.frictionAfter;
    this.labels.unlabelled += other.labels.unlabelled;
    for (const label of LABEL_KEYS) {
      for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
        this.histBefore[label][i]! += other.histograms.before[label]?.[i] ?? 0;
        this.histAfter[label][i]! += other.histograms.after[label]?.[i] ?? 0;
      }
    }
    if (other.changedEventsTruncated) this.truncated = true;
    for (const change of other.changedEvents) this.keepChanged(change);
  }

  report(): SimulationReport {
    const byAction: Record<string, ActionReport> = {};
    for (const name of [...this.byAction.keys()].sort()) {
      const a = this.byAction.get(name)!;
      byAction[name] = {
        compared: a.compared,
        changed: a.changed,
        transitions: structuredClone(a.transitions),
        friction: friction(a.frictionBefore, a.frictionAfter, a.compared),
      };
    }
    const { fraud, legit } = this.labels;
    return {
      candidateVersion: this.candidateVersion,
      baseline: this.baseline,
      events: {
        total: this.total,
        compared: this.compared,
        skipped: { notReplayable: this.notReplayable, unknownAction: this.unknownAction },
      },
      ...(this.first !== undefined && this.last !== undefined ? { range: { from: this.first, to: this.last } } : {}),
      transitions: structuredClone(this.transitions),
      changed: this.changed,
      scoreChanged: this.scoreChanged,
      friction: friction(this.frictionBefore, this.frictionAfter, this.compared),
      byAction,
      labels: {
        fraud: {
          ...fraud,
          caughtRateBefore: rate(fraud.caughtBefore, fraud.events),
          caughtRateAfter: rate(fraud.caughtAfter, fraud.events),
        },
        legit: {
          ...legit,
          frictionRateBefore: rate(legit.frictionBefore, legit.events),
          frictionRateAfter: rate(legit.frictionAfter, legit.events),
        },
        unlabelled: this.labels.unlabelled,
      },
      histograms: {
        bucketWidth: HISTOGRAM_BUCKET_WIDTH,
        before: structuredClone(this.histBefore),
        after: structuredClone(this.histAfter),
      },
      changedEvents: this.changedEvents.map((c) => ({ ...c })),
      changedEventsTruncated: this.truncated,
    };
  }
}

function friction(before: number, after: number, of: number): Friction {
  return { before, after, beforeRate: rate(before, of), afterRate: rate(after, of) };
}

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
