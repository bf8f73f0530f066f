import type { CursorCodec } from '../../core/paging/signed-cursor';
import type { ReplayLimits } from '../../application/replay/replay-chunk';
import type { AdminEventStore } from '../../ports/admin-event-store';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { PolicyAdminStore } from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';

/** What every admin route's workflows are given: the ports, and the limits of one call. */
export interface AdminContext {
  readonly policies: PolicyAdminStore;
  readonly events: AdminEventStore;
  /** For records of reads; changes are audited inside the stores' transactions. */
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  readonly newId: () => string;
  /** In force while the table holds no policy (version 0), as in the decide path. */
  readonly fallbackPolicy: PolicyRecord;
  /** Signs the cursors of chunked reads (the same codec the store signs its own with). */
  readonly cursors: CursorCodec;
  readonly replay: ReplayLimits;
  /** Recorded decisions replayed to backtest a weakening change (default BACKTEST_MAX_EVENTS). */
  readonly backtestMaxEvents?: number;
}
