import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { GENESIS_HASH, hashRecord, type ChainHead, type StoredRecord } from '../../../lambdas/core/audit/hash-chain';

export const T0 = Date.parse('2025-03-01T00:00:00.000Z');
export const DAY = 86_400_000;

export function eventAt(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: `decision:d-${i}`,
    kind: 'decision',
    actor: { type: 'app', id: 'local-app' },
    subject: `user-${i % 3}@example.com`,
    action: 'payment.transfer',
    outcome: i % 2 === 0 ? 'allow' : 'step_up',
    reasons: ['device.new'],
    policyVersion: 1,
    at: new Date(T0 + i * 60_000).toISOString(),
    ...overrides,
  };
}

/** A well-formed chain of n records stored at their own keys, with the head that goes with it. */
export function buildChain(
  chainId: string,
  n: number,
  expiresAtOf: (seq: number) => number | undefined = (seq) => Math.floor((T0 + 400 * DAY) / 1000) + seq,
): { records: StoredRecord[]; head: ChainHead } {
  const records: StoredRecord[] = [];
  let prevHash = GENESIS_HASH;
  let prevExpiresAt: number | undefined;
  for (let seq = 1; seq <= n; seq += 1) {
    const event = eventAt(seq);
    const expiresAt = expiresAtOf(seq);
    const hash = hashRecord(prevHash, chainId, seq, event, { expiresAt, prevExpiresAt });
    records.push({ keySeq: seq, chainId, seq, prevHash, hash, expiresAt, prevExpiresAt, event });
    prevHash = hash;
    prevExpiresAt = expiresAt;
  }
  const last = records[records.length - 1];
  return {
    records,
    head: {
      seq: n,
      hash: last ? (last.hash as string) : GENESIS_HASH,
      tailExpiresAt: last?.expiresAt as number | undefined,
    },
  };
}

/** Moves a record to another key, content untouched (what renumbering or swapping keys in the table does). */
export const atKey = (record: StoredRecord, keySeq: number): StoredRecord => ({ ...record, keySeq });

/** Rewrites a record's content and recomputes its own hash (a careful forger), keeping its prevHash. */
export function rehashed(chainId: string, record: StoredRecord, changes: Partial<StoredRecord>): StoredRecord {
  const next = { ...record, ...changes };
  const hash = hashRecord(next.prevHash as string, chainId, next.seq as number, next.event as AuditEvent, {
    expiresAt: next.expiresAt as number | undefined,
    prevExpiresAt: next.prevExpiresAt as number | undefined,
  });
  return { ...next, hash };
}
