import type { OverviewTotals, TrustedProfileView } from '../../application/console-reads/console-views';
import type { ChunkProgress, EventView } from './responses';

/** The security console's read responses (the console imports these types, so it cannot drift from the API). */

/** `GET /v1/admin/decisions`: newest first, filtered; pass `cursor` back for older ones. */
export interface DecisionStreamResponse {
  readonly decisions: readonly EventView[];
  readonly cursor?: string;
  /** Index entries examined for this page; a page stops after a fixed number whatever matched. */
  readonly scanned: number;
}

/** `GET /v1/admin/overview`: one chunk of the window's tallies; pass `cursor` back until `complete`, then add. */
export interface OverviewResponse {
  readonly complete: boolean;
  readonly cursor?: string;
  readonly progress: ChunkProgress;
  readonly totals: OverviewTotals;
}

/** `GET /v1/admin/users/{userId}/profile`. */
export type UserProfileResponse = TrustedProfileView;
