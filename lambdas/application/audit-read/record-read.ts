import type { AuditEvent } from '../../core/audit/audit-event';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import { auditActor, usernameData, type UserActor } from '../actor';

/** What was read, by whom, in which request: one `admin.read` record. */
export interface ReadRecord {
  readonly actor: UserActor;
  /** The API request's id: the record's idempotency key, so a retried write is not a second record. */
  readonly requestId: string;
  /** `events.read`, `audit.export`, ... */
  readonly action: string;
  /** Whose data was read, when it is one person's. */
  readonly subject?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface ReadAuditDependencies {
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
}

/** The audit record of one read of audit or personal data. */
export function readEvent(read: ReadRecord, at: number): AuditEvent {
  return {
    eventId: `admin.read:${read.requestId}`,
    kind: 'admin.read',
    actor: auditActor(read.actor),
    action: read.action,
    ...(read.subject ? { subject: read.subject } : {}),
    outcome: 'served',
    requestId: read.requestId,
    at: new Date(at).toISOString(),
    data: { ...usernameData(read.actor), ...read.data },
  };
}

/**
 * Records a read before anything is returned. If the record cannot be written this throws, and the caller returns
 * nothing: there is no unaudited way to read personal data or the audit trail.
 */
export async function recordRead(deps: ReadAuditDependencies, read: ReadRecord): Promise<void> {
  await deps.audit.append(readEvent(read, deps.clock()));
}
