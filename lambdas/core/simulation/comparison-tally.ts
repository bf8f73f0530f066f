import type { Decision } from '../risk/types';
import {
  DEFAULT_MAX_CHANGED_EVENTS,
  DECISIONS,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_BUCKET_WIDTH,
  LABEL_KEYS,
  type ActionReport,
  type ChangedEvent,
  type Friction,
  type LabelKey,
  type Outcome,
  type ReplayEvent,
  type SimulationReport,
  type TransitionMatrix,
} from './simulation-report';

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
