import { historyBucket, type HistoryBucket, type Segment } from './evaluation-metrics';
import type { RbaLogin } from './rba-row';

const DAY = 86_400_000;

export interface SegmenterOptions {
  /** Rows in the first days of the replay are reported apart: no engine has history for them yet. */
  warmupDays: number;
  unknownUserId?: string;
  /** A user idle this long starts again with no history, as the service's risk-history retention would. */
  retentionDays: number;
  /** Users remembered at most (least recently active forgotten first). */
  maxUsers: number;
}

/**
 * Which population a row belongs to, from the row stream alone: the user's earlier successful logins in the replay
 * (within the retention period). Every engine replayed over the same rows puts every row in the same segment and
 * history bucket, so their figures compare like with like whatever each engine chose to learn.
 */
export class HistorySegmenter {
  private readonly logins = new Map<string, { n: number; last: number }>();
  private first: number | undefined;

  constructor(private readonly options: SegmenterOptions) {}

  classify(row: RbaLogin, now: number): { segment: Segment; bucket: HistoryBucket; prior: number } {
    this.first ??= now;
    const entry = this.logins.get(row.userId);
    const prior = entry && now - entry.last <= this.options.retentionDays * DAY ? entry.n : 0;
    const segment: Segment =
      now < this.first + this.options.warmupDays * DAY
        ? 'warm-up'
        : row.userId === this.options.unknownUserId
          ? 'unknown-account'
          : prior === 0
            ? 'first-login'
            : 'with-history';
    return { segment, bucket: historyBucket(prior), prior };
  }

  /** Counts the row once its outcome is known; call after `classify`. */
  settle(row: RbaLogin, now: number): void {
    if (!row.loginSuccessful || row.userId === this.options.unknownUserId) return;
    const entry = this.logins.get(row.userId);
    const fresh = !entry || now - entry.last > this.options.retentionDays * DAY;
    this.logins.delete(row.userId);
    this.logins.set(row.userId, { n: fresh ? 1 : entry.n + 1, last: now });
    if (this.logins.size > this.options.maxUsers) {
      const oldest = this.logins.keys().next().value as string;
      this.logins.delete(oldest);
    }
  }
}
