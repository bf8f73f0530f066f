import { TransactWriteItemsCommand, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';

/**
 * TransactWriteItems with named entries. DynamoDB reports a cancelled transaction as one reason per item, in the
 * order the items were sent; naming each entry when it is added lets callers ask "did the profile fail its
 * condition?" instead of counting positions, and keeps the decoding of `CancellationReasons` in one place.
 */
export interface CancellationReason {
  readonly Code?: string;
  /** The item as it stood, for entries that asked for it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). */
  readonly Item?: Record<string, unknown>;
}

/**
 * The reasons of a cancelled transaction, undefined for any other error. Recognised by name rather than class so
 * that errors from another copy of the SDK (or from lib-dynamodb) are decoded the same way.
 */
export function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
}

/** Which named entries of a cancelled transaction failed, and how. */
export interface Cancellation<Name extends string> {
  /** Entries whose condition did not hold (`ConditionalCheckFailed`). */
  readonly failed: ReadonlySet<Name>;
  /** Entries another transaction was changing at the same moment (`TransactionConflict`). */
  readonly conflicted: ReadonlySet<Name>;
}

export type TransactionOutcome<Name extends string> =
  | { ok: true }
  /** `error`: the cancellation itself, for callers that rethrow what they cannot explain. */
  | ({ ok: false; error: unknown } & Cancellation<Name>);

export class NamedTransaction<Name extends string> {
  private readonly entries: { readonly name: Name; readonly item: TransactWriteItem }[] = [];

  add(name: Name, ...items: TransactWriteItem[]): this {
    for (const item of items) this.entries.push({ name, item });
    return this;
  }

  /** A copy of this transaction with more entries (the original is left as it was). */
  with<More extends string>(name: More, items: readonly TransactWriteItem[]): NamedTransaction<Name | More> {
    const copy = new NamedTransaction<Name | More>();
    for (const entry of this.entries) copy.add(entry.name, entry.item);
    return copy.add(name, ...items);
  }

  get items(): TransactWriteItem[] {
    return this.entries.map((entry) => entry.item);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Decodes `error` against this transaction's entries; undefined when it is not a cancellation. */
  cancellation(error: unknown): Cancellation<Name> | undefined {
    const reasons = cancellationReasons(error);
    if (!reasons) return undefined;
    const failed = new Set<Name>();
    const conflicted = new Set<Name>();
    reasons.forEach((reason, i) => {
      const name = this.entries[i]?.name;
      if (name === undefined) return;
      if (reason.Code === 'ConditionalCheckFailed') failed.add(name);
      else if (reason.Code === 'TransactionConflict') conflicted.add(name);
    });
    return { failed, conflicted };
  }

  /** Sends the transaction: `ok`, or the named cancellation. Any other error is thrown. */
  async send(client: DynamoDBClient): Promise<TransactionOutcome<Name>> {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: this.items }));
      return { ok: true };
    } catch (error) {
      const cancellation = this.cancellation(error);
      if (!cancellation) throw error;
      return { ok: false, error, ...cancellation };
    }
  }
}

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

/** The entries of an audited transaction that are the audit records' own. */
export const AUDIT_ENTRY = 'audit';

/**
 * Retries of an audited change that failed on none of its own entries: each lost a race with another transaction
 * or an audit chain that moved on, and the next try (with fresh audit items on another chain) usually passes.
 */
const CONFLICT_RETRIES = 3;

/**
 * Writes `change` and the audit records of `audit` in ONE TransactWriteItems: the change exists if and only if its
 * audit records do. A cancellation on the change's own conditions is returned by entry name; one that failed on
 * none of them (a race with another transaction, or an audit chain that moved on: the audit log has then dropped
 * that chain, so new items go elsewhere) is retried a few times; anything else is thrown.
 */
export async function auditedTransaction<Name extends string>(
  client: DynamoDBClient,
  change: NamedTransaction<Name>,
  audit: readonly AuditEvent[],
  preparer: AuditPreparer | undefined,
): Promise<TransactionOutcome<Name>> {
  if (audit.length > 0 && !preparer) throw new AuditNotConfiguredError();
  for (let attempt = 0; ; attempt++) {
    const prepared = preparer ? audit.map((event) => preparer.prepare(event)) : [];
    const transaction = change.with(
      AUDIT_ENTRY,
      prepared.flatMap((p) => p.transactItems),
    );
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: transaction.items }));
      for (const p of prepared) p.committed();
      return { ok: true };
    } catch (error) {
      for (const p of prepared) p.failedWith(error);
      const cancellation = transaction.cancellation(error);
      if (!cancellation) throw error;
      const own = <T extends string>(names: ReadonlySet<T>) =>
        new Set([...names].filter((name): name is Exclude<T, typeof AUDIT_ENTRY> => name !== AUDIT_ENTRY));
      const failed = own(cancellation.failed);
      if (failed.size > 0) return { ok: false, error, failed, conflicted: own(cancellation.conflicted) };
      const retryable = cancellation.failed.size > 0 || cancellation.conflicted.size > 0;
      if (retryable && attempt < CONFLICT_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 10));
        continue;
      }
      throw error;
    }
  }
}
