import type { Decision, RequestFeatures } from '../risk/types';
import type { ReplayInput } from './replay-input';

// One report shape for a backtest and a shadow run, so the replay, the live shadow tally and the admin API agree.

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
