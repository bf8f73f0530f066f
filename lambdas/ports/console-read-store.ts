import type { DecisionFilter } from '../application/console-reads/console-views';
import type { UserProfile } from '../core/risk/types';
import type { RecordedEvent, TimeWindow } from './admin-event-store';

/** One page of the decision stream: newest first, filtered; `cursor` continues the same query. */
export interface DecisionStreamPage {
  readonly items: readonly RecordedEvent[];
  /** Present when older decisions of the window may still match. A page may be short, or empty, yet have one. */
  readonly cursor?: string;
  /** Index entries examined for this page (each costs a read whether it matched or not). */
  readonly scanned: number;
}

export interface DecisionStreamQuery {
  readonly window: TimeWindow;
  readonly filter: DecisionFilter;
  /** Most matching decisions returned. */
  readonly limit: number;
  /** Most index entries examined before the page answers: bounds the cost of a rare filter. */
  readonly scanLimit: number;
  readonly cursor?: string;
}

/** The console's reads of the risk table: the filtered decision stream and a user's learned profile. */
export interface ConsoleReadStore {
  /** Throws InvalidCursorError for a cursor this store did not produce for this query. */
  recentDecisions(query: DecisionStreamQuery): Promise<DecisionStreamPage>;
  profile(userId: string): Promise<UserProfile | undefined>;
}
