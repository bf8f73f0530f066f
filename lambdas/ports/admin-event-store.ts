import type { AuditEvent } from '../core/audit/audit-event';
import type { Decision, Reason, RequestFeatures } from '../core/risk/types';
import type { FeedbackLabel, ReplayEvent } from '../core/simulation/simulation';

/** What investigators and the tuning tools read from (and label in) the recorded decisions. */
export interface Feedback {
  readonly label: FeedbackLabel;
  readonly note?: string;
  readonly by: string;
  /** ISO-8601. */
  readonly at: string;
}

export interface RecordedShadow {
  readonly runId?: string;
  readonly policyVersion: number;
  readonly decision: Decision;
  readonly score: number;
}

export interface RecordedEvent {
  readonly decisionId: string;
  readonly userId: string;
  readonly action: string;
  /** Epoch ms. */
  readonly at: number;
  readonly clientId: string;
  readonly decision: Decision;
  readonly score: number;
  readonly policyVersion: number;
  readonly reasons: readonly Reason[];
  readonly features: RequestFeatures;
  readonly outcome?: string;
  readonly feedback?: Feedback;
  /** Changes with every label change; the next write must name the revision it read. */
  readonly feedbackRevision: number;
  readonly shadow?: RecordedShadow;
  /** Whether the decision carries what a replay needs. */
  readonly replayable: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; present when more may follow. */
  readonly cursor?: string;
}

export interface TimeWindow {
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
}

export interface ReplayPage extends Page<ReplayEvent> {
  /** Epoch ms up to which the window has been read (for progress reporting). */
  readonly position: number;
}

export interface ShadowEvent {
  readonly event: ReplayEvent;
  readonly shadow: RecordedShadow;
}

export interface ShadowPage extends Page<ShadowEvent> {
  readonly position: number;
}

/** A cursor that this store did not produce (or that was tampered with): the API answers 400 naming `cursor`. */
export { InvalidCursorError } from '../core/paging/signed-cursor';

export interface AdminEventStore {
  /** Newest first. */
  userEvents(userId: string, page: { limit: number; cursor?: string }): Promise<Page<RecordedEvent>>;
  getEvent(decisionId: string): Promise<RecordedEvent | undefined>;
  /**
   * Sets (or with `undefined` removes) the label of a decision, if its label revision is still `expectedRevision`,
   * atomically with `audit`.
   */
  setFeedback(
    decisionId: string,
    feedback: Feedback | undefined,
    expectedRevision: number,
    audit: AuditEvent,
  ): Promise<'written' | 'changed' | 'not_found'>;
  /** Recorded decisions with `from ≤ at < to`, in time order, a page at a time. */
  replayEvents(window: TimeWindow, page: { limit: number; cursor?: string }): Promise<ReplayPage>;
  /** Decisions of `window` that a shadow run scored, in time order. */
  shadowEvents(runId: string, window: TimeWindow, page: { limit: number; cursor?: string }): Promise<ShadowPage>;
}
