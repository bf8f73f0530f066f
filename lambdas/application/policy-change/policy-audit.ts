import { createHash } from 'node:crypto';
import type { AuditEvent } from '../../core/audit/audit-event';
import { canonicalJson } from '../../core/audit/canonical-json';
import type { PolicyChange } from '../../core/policy/policy-diff';
import type { Policy } from '../../core/policy/policy-schema';
import type { Weakening } from '../../core/policy/weakening';
import { auditActor, usernameData, type UserActor } from '../actor';

/** Diff text above this many characters is stored with long values as their hash. */
const MAX_AUDIT_DIFF_CHARS = 100_000;
/** Values longer than this are hashed when the diff is too long. */
const MAX_AUDIT_VALUE_CHARS = 1000;

export function sha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** A policy as an audit record names it: its version and the hash of its document. */
export function policySummary(record: { version: number; policy: Policy }) {
  return { version: record.version, sha256: sha256(record.policy) };
}

/**
 * The diff as it goes into an audit record: values as canonical JSON strings (so nothing in a policy, such as an
 * action named `credentials.change`, can look like a secret-bearing field name to the audit guard), and very long
 * values (a deny list of a thousand networks) as their hash.
 */
export function auditChanges(changes: readonly PolicyChange[]): Record<string, string>[] {
  const text = (v: unknown) => (v === undefined ? undefined : canonicalJson(v));
  const out = changes.map((c) => ({
    path: c.path,
    kind: c.kind,
    ...(c.before !== undefined ? { before: text(c.before)! } : {}),
    ...(c.after !== undefined ? { after: text(c.after)! } : {}),
  }));
  const size = out.reduce((s, c) => s + (c.before?.length ?? 0) + (c.after?.length ?? 0), 0);
  if (size <= MAX_AUDIT_DIFF_CHARS) return out;
  const short = (s: string | undefined) =>
    s === undefined || s.length <= MAX_AUDIT_VALUE_CHARS
      ? s
      : `sha256:${createHash('sha256').update(s).digest('hex')} (${s.length} characters)`;
  return out.map((c) => ({
    path: c.path,
    kind: c.kind,
    ...(c.before !== undefined ? { before: short(c.before)! } : {}),
    ...(c.after !== undefined ? { after: short(c.after)! } : {}),
  }));
}

/** Weakening edits as they go into an audit record: values as canonical JSON text, like the diff. */
export function auditWeakening(weakening: readonly Weakening[]): Record<string, string>[] {
  return weakening.map((w) => ({
    path: w.path,
    kind: w.kind,
    ...(w.before !== undefined ? { before: canonicalJson(w.before) } : {}),
    ...(w.after !== undefined ? { after: canonicalJson(w.after) } : {}),
  }));
}

/** The audit record of a change made by `actor` at `at`, with the actor's username beside their subject. */
export function changeEvent(
  actor: UserActor,
  at: string,
  kind: AuditEvent['kind'],
  eventId: string,
  fields: Omit<AuditEvent, 'eventId' | 'kind' | 'actor' | 'at'>,
): AuditEvent {
  return {
    eventId,
    kind,
    actor: auditActor(actor),
    at,
    ...fields,
    data: { ...usernameData(actor), ...fields.data },
  };
}
