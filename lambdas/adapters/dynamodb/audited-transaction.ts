import { TransactWriteItemsCommand, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';

/** What DynamoDbAuditLog.prepare gives: the audit record's items for the caller's own transaction. */
export interface PreparedAuditItems {
  readonly transactItems: TransactWriteItem[];
  committed(): void;
  failedWith(error: unknown): string;
}

/** Builds audit items to join a transaction (DynamoDbAuditLog implements it). */
export interface AuditPreparer {
  prepare(event: AuditEvent): PreparedAuditItems;
}

export class AuditNotConfiguredError extends Error {
  constructor() {
    super('this store was built without an audit log, so it cannot make audited changes');
    this.name = 'AuditNotConfiguredError';
  }
}

/** `ok`, or which of the caller's own items (by index) failed their condition. */
export type TransactionResult = { ok: true } | { ok: false; failed: ReadonlySet<number> };

const CONFLICT_RETRIES = 3;

interface CancellationReason {
  readonly Code?: string;
}

function cancellation(error: unknown): readonly CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
}

/**
 * Writes `items` and the audit records of `audit` in ONE TransactWriteItems: the change exists if and only if its
 * audit records do. The caller's items come first, so a cancellation reports which of them failed their
 * condition. A transaction that failed on none of the caller's items (a race with another transaction, or an
 * audit chain that moved on) is retried with fresh audit items, a few times; anything else is thrown.
 */
export async function auditedTransaction(
  client: DynamoDBClient,
  items: readonly TransactWriteItem[],
  audit: readonly AuditEvent[],
  preparer: AuditPreparer | undefined,
): Promise<TransactionResult> {
  if (audit.length > 0 && !preparer) throw new AuditNotConfiguredError();
  for (let attempt = 0; ; attempt++) {
    const prepared = preparer ? audit.map((event) => preparer.prepare(event)) : [];
    const transactItems = [...items, ...prepared.flatMap((p) => p.transactItems)];
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: transactItems }));
      for (const p of prepared) p.committed();
      return { ok: true };
    } catch (error) {
      for (const p of prepared) p.failedWith(error);
      const reasons = cancellation(error);
      if (!reasons) throw error;
      const failed = new Set<number>();
      reasons.forEach((r, i) => {
        if (i < items.length && r.Code === 'ConditionalCheckFailed') failed.add(i);
      });
      if (failed.size > 0) return { ok: false, failed };
      // Nothing of the caller's failed: either a race with another transaction, or the audit chain's head moved on
      // under this writer (its condition failed; the audit log has dropped that chain, so new items go elsewhere).
      const retryable = reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ConditionalCheckFailed');
      if (retryable && attempt < CONFLICT_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 10));
        continue;
      }
      throw error;
    }
  }
}
