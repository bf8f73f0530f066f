import type { AuditEvent } from '../core/audit/audit-event';

/** A signed-in member of staff (or user) acting through an API, as the verified token names them. */
export interface UserActor {
  /** The token's `sub`: stable, what audit records name as the actor. */
  readonly subject: string;
  /** The user-pool username: what the API and reports show. */
  readonly username?: string;
}

/** The name stored as `updatedBy`, `proposedBy`, `by`: the username, else the subject. */
export const displayName = (actor: UserActor): string => actor.username ?? actor.subject;

export function auditActor(actor: UserActor): AuditEvent['actor'] {
  return { type: 'user', id: actor.subject };
}

/** The username beside the subject in a record's data, so a reader can match it to the user pool either way. */
export function usernameData(actor: UserActor): { username?: string } {
  return actor.username ? { username: actor.username } : {};
}
