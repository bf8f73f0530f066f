/**
 * DynamoDB audit log: hash-chained, append-only, idempotent.
 *
 * Items in the audit table (all keys are strings, `pk`/`sk`):
 *
 * | item     | pk                 | sk                 | attributes                                              |
 * |----------|--------------------|--------------------|---------------------------------------------------------|
 * | record   | `CHAIN#<chainId>`  | `SEQ#<12 digits>`  | chainId, seq, prevHash, hash, event (map), expiresAt,    |
 * |          |                    |                    | prevExpiresAt, gsi1pk/gsi1sk, gsi2pk/gsi2sk              |
 * | head     | `CHAIN#<chainId>`  | `HEAD`             | seq, hash, tailExpiresAt, updatedAt                      |
 * | registry | `CHAINS`           | `<chainId>`        | createdAt, writer                                        |
 * | event id | `EVENT#<eventId>`  | `EVENT`            | chainId, seq, expiresAt                                  |
 *
 * Why chains per writer: one global chain would make every Lambda in the fleet serialize on one head item (and
 * one partition). Instead each writer instance keeps a small in-memory pool of chains; an append leases an idle
 * chain (creating one with a random id when none is idle) and returns it when the write settles. A Lambda
 * container handles one request at a time, so it ends up with exactly one chain; the local runtime serving
 * concurrent requests grows one chain per concurrent request, up to `maxConcurrentAppends` (16) for `append`,
 * beyond which appends queue for an idle chain. The head (seq, hash) lives in memory, so an append costs no read.
 *
 * One append = one TransactWriteItems with:
 * - the record, `attribute_not_exists(pk)`;
 * - the head, conditioned on the previous seq (`attribute_not_exists(pk)` for a new chain), so a chain can never
 *   fork, even if two writers somehow held the same chain;
 * - the event-id item, `attribute_not_exists(pk)`: a retried write of the same event (a Lambda retry, a Cognito
 *   trigger retried on another container) is cancelled and reported as `duplicate`, never a second record;
 * - for a chain's first record, its registry item, so verification lists chains with one Query, not a Scan.
 * `prepare` returns these items so a caller (the decision handler) can put the audit record in the same
 * transaction as its own state: one write round trip, and the record exists if and only if the decision does.
 *
 * Settling a write: committed → the chain's head advances. Definitely not committed (the transaction was cancelled
 * or refused) → the chain returns to the pool unchanged, so the next record takes the same seq (no gap); but if
 * a cancellation names one of the chain's own items the in-memory head is stale, so the chain is dropped.
 * Outcome unknown (timeout, network error, 5xx) → the chain is dropped, because its head is uncertain; the next
 * append starts a new chain. The retry of the uncertain event then either lands on the new chain or is reported
 * as `duplicate` (when the first attempt did commit). The SDK's own retries reuse the transaction's
 * ClientRequestToken, which DynamoDB treats as idempotent for 10 minutes.
 *
 * Retention: every record gets `expiresAt` = write time + retention (policy retention for audit, default 400
 * days), the table's TTL attribute, and `prevExpiresAt` = its predecessor's `expiresAt`; both are hashed. The
 * verifier accepts a missing prefix only when the first remaining record says its predecessor's retention ended.
 * The head and registry items never expire; the head carries `tailExpiresAt` so a fully expired chain verifies.
 *
 * Indexes: byTime (gsi1pk `DAY#YYYY-MM-DD` of the event's `at`, gsi1sk `<at>#<chainId>#<seq>`) and bySubject
 * (gsi2pk `SUBJECT#<subject>`, same sort key) serve exports; TTL is lazy, so readers filter expired records. The
 * index attributes are not hashed but derived from what is (indexAttributesOf), and verify checks each record's
 * against its content, so rewriting them to hide a record from exports is named (`misindexed`).
 */
import { randomBytes } from 'node:crypto';
import {
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { guardAuditEvent, type AuditEvent } from '../../core/audit/audit-event';
import { GENESIS_HASH, hashRecord } from '../../core/audit/hash-chain';
import type { AppendResult, AuditLog } from '../../ports/audit-log';
import {
  CHAINS_PK,
  chainPk,
  EVENT_PREFIX,
  EVENT_SK,
  eventPk,
  HEAD_SK,
  indexAttributesOf,
  ITEM_TYPE,
  seqSk,
  toAttributeMap,
} from './items/audit';
import { cancellationReasons, type CancellationReason } from './transaction';

export const DEFAULT_AUDIT_RETENTION_DAYS = 400;
const DAY_SECONDS = 86_400;
/** Retries of an append whose transaction lost a race (TransactionConflict) with another writer's transaction. */
const CONFLICT_RETRIES = 3;
/** Appends one instance runs at once; each holds a chain, so this bounds the chains a burst can create. */
export const DEFAULT_MAX_CONCURRENT_APPENDS = 16;

export type AuditWriteOutcome = 'duplicate' | 'rejected' | 'unknown';

/** An append that did not happen (`rejected`) or may or may not have happened (`unknown`). */
export class AuditAppendError extends Error {
  constructor(
    readonly outcome: 'rejected' | 'unknown',
    options: { cause: unknown },
  ) {
    const cause = options.cause as { name?: string } | undefined;
    super(
      `audit append ${outcome === 'unknown' ? 'outcome unknown' : 'rejected'} (${cause?.name ?? 'error'})`,
      options,
    );
    this.name = 'AuditAppendError';
  }
}

export interface DynamoDbAuditLogOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Epoch ms; decides `expiresAt` and the head's `updatedAt`. */
  readonly now?: () => number;
  /** Days a record is kept (the policy's audit retention); a function so a policy change applies to new records. */
  readonly retentionDays?: number | (() => number);
  /** Who writes (function name, `local`, `cli`), stored in the chain registry to tell chains apart when auditing. */
  readonly writer?: string;
  readonly newChainId?: () => string;
  /** `append` calls beyond this many in flight wait their turn (`prepare` never waits). */
  readonly maxConcurrentAppends?: number;
}

/** The items of one append, to be written in the caller's transaction, and how to report what happened. */
export interface PreparedAppend {
  /** Low-level items for TransactWriteItemsCommand (up to 4: record, head, event id, registry). */
  readonly transactItems: TransactWriteItem[];
  /** The transaction committed. */
  committed(): void;
  /** `rejected`: it certainly did not commit. `unknown`: it may have (timeout, network error). */
  failed(outcome: 'rejected' | 'unknown'): void;
  /**
   * Classifies the error the transaction failed with, settles the chain accordingly and returns the outcome:
   * `duplicate` (this event is already recorded), `rejected` or `unknown`. Prefer it over `failed`: it also
   * notices a cancellation that names this chain's own items.
   */
  failedWith(error: unknown): AuditWriteOutcome;
}

interface ChainState {
  readonly id: string;
  readonly seq: number;
  readonly hash: string;
  readonly tailExpiresAt: number | undefined;
}

/** A string attribute of a cancellation reason's item, whether it came back low-level ({S}) or unmarshalled. */
function stringAttr(item: CancellationReason['Item'], name: string): string | undefined {
  const value = item?.[name];
  if (typeof value === 'string') return value;
  const s = (value as AttributeValue | undefined)?.S;
  return typeof s === 'string' ? s : undefined;
}

function failedItems(error: unknown): { pk: string | undefined; sk: string | undefined }[] {
  return (cancellationReasons(error) ?? [])
    .filter((r) => r.Code === 'ConditionalCheckFailed')
    .map((r) => ({ pk: stringAttr(r.Item, 'pk'), sk: stringAttr(r.Item, 'sk') }));
}

/**
 * Whether a failed TransactWriteItems was cancelled because an audit event-id item already exists: the event
 * (and so, in a combined transaction, the caller's whole write) was already recorded. Relies on the audit items
 * asking for ALL_OLD on condition failure, so it works wherever the caller put them in the transaction.
 */
export function isAuditConflict(error: unknown): boolean {
  return failedItems(error).some((i) => i.sk === EVENT_SK && i.pk?.startsWith(EVENT_PREFIX) === true);
}

/** DynamoDB refused the request before running it: a cancelled transaction, a validation or throttling error. */
function definitelyNotCommitted(error: unknown): boolean {
  const e = error as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || e.name === 'TransactionInProgressException') return false;
  return e.$fault === 'client' && e.$metadata?.httpStatusCode === 400;
}

function onlyTransactionConflicts(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  return (
    reasons !== undefined && reasons.some((r) => r.Code === 'TransactionConflict') && failedItems(error).length === 0
  );
}

export class DynamoDbAuditLog implements AuditLog {
  private readonly idle: ChainState[] = [];
  private readonly now: () => number;
  private readonly retentionDays: () => number;
  private readonly newChainId: () => string;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: DynamoDbAuditLogOptions) {
    this.now = options.now ?? Date.now;
    const retention = options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.retentionDays = typeof retention === 'function' ? retention : () => retention;
    this.newChainId = options.newChainId ?? (() => randomBytes(12).toString('base64url'));
    this.maxInFlight = Math.max(1, options.maxConcurrentAppends ?? DEFAULT_MAX_CONCURRENT_APPENDS);
  }

  /** Chains currently idle in this writer's pool (for tests and diagnostics). */
  get idleChains(): number {
    return this.idle.length;
  }

  async append(event: AuditEvent): Promise<AppendResult> {
    // A finishing append hands its slot straight to the next waiter, so the count never overshoots the cap.
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inFlight += 1;
    try {
      return await this.appendNow(event);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }

  private async appendNow(event: AuditEvent): Promise<AppendResult> {
    for (let attempt = 0; ; attempt += 1) {
      const prepared = this.prepare(event);
      try {
        await this.options.client.send(new TransactWriteItemsCommand({ TransactItems: prepared.transactItems }));
        prepared.committed();
        return 'appended';
      } catch (error) {
        const outcome = prepared.failedWith(error);
        if (outcome === 'duplicate') return 'duplicate';
        if (outcome === 'rejected' && onlyTransactionConflicts(error) && attempt < CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 10));
          continue;
        }
        throw new AuditAppendError(outcome, { cause: error });
      }
    }
  }

  /**
   * Builds the items of one append on a chain leased from the pool. Throws AuditRecordRejectedError (before
   * leasing anything) when the event holds secret-looking fields or is malformed. The caller must settle it
   * exactly once with `committed`, `failed` or `failedWith`; an unsettled append only costs its chain.
   */
  prepare(event: AuditEvent): PreparedAppend {
    // Store exactly what is hashed: the canonical form drops undefined and proves everything is plain JSON.
    const stored = JSON.parse(guardAuditEvent(event)) as AuditEvent;
    const retentionDays = this.retentionDays();
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw new RangeError(`audit retention must be a positive number of days, got ${retentionDays}`);
    }
    const nowMs = this.now();
    const expiresAt = Math.floor(nowMs / 1000) + Math.round(retentionDays * DAY_SECONDS);
    // Leased only now, once nothing above can throw: a lease is given back only by settling.
    const chain = this.idle.pop() ?? { id: this.newChainId(), seq: 0, hash: GENESIS_HASH, tailExpiresAt: undefined };
    const seq = chain.seq + 1;
    const prevExpiresAt = chain.tailExpiresAt;
    const hash = hashRecord(chain.hash, chain.id, seq, stored, { expiresAt, prevExpiresAt });
    const { tableName } = this.options;
    const pk = chainPk(chain.id);
    const put = (
      item: Record<string, unknown>,
      condition: Omit<NonNullable<TransactWriteItem['Put']>, 'TableName' | 'Item'>,
    ) => ({
      Put: {
        TableName: tableName,
        Item: toAttributeMap(item),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        ...condition,
      },
    });
    const notExists = { ConditionExpression: 'attribute_not_exists(pk)' };

    const transactItems: TransactWriteItem[] = [
      put(
        {
          pk,
          sk: seqSk(seq),
          type: ITEM_TYPE.record,
          chainId: chain.id,
          seq,
          prevHash: chain.hash,
          hash,
          event: stored,
          expiresAt,
          prevExpiresAt,
          ...indexAttributesOf(chain.id, seq, stored.at, stored.subject),
        },
        notExists,
      ),
      put(
        {
          pk,
          sk: HEAD_SK,
          type: ITEM_TYPE.head,
          chainId: chain.id,
          seq,
          hash,
          tailExpiresAt: expiresAt,
          updatedAt: new Date(nowMs).toISOString(),
        },
        chain.seq === 0
          ? notExists
          : {
              ConditionExpression: '#seq = :prevSeq',
              ExpressionAttributeNames: { '#seq': 'seq' },
              ExpressionAttributeValues: { ':prevSeq': { N: String(chain.seq) } },
            },
      ),
      put(
        { pk: eventPk(stored.eventId), sk: EVENT_SK, type: ITEM_TYPE.event, chainId: chain.id, seq, expiresAt },
        notExists,
      ),
    ];
    if (seq === 1) {
      transactItems.push(
        put(
          {
            pk: CHAINS_PK,
            sk: chain.id,
            type: ITEM_TYPE.chain,
            createdAt: new Date(nowMs).toISOString(),
            writer: this.options.writer ?? 'unknown',
          },
          notExists,
        ),
      );
    }

    let settled = false;
    const settle = (next: ChainState | undefined) => {
      if (settled) throw new Error('audit append settled twice');
      settled = true;
      if (next) this.idle.push(next);
    };
    return {
      transactItems,
      committed: () => settle({ id: chain.id, seq, hash, tailExpiresAt: expiresAt }),
      failed: (outcome) => settle(outcome === 'rejected' ? chain : undefined),
      failedWith: (error) => {
        const duplicate = isAuditConflict(error);
        const chainItemFailed = failedItems(error).some(
          (i) => i.pk === pk || (i.pk === CHAINS_PK && i.sk === chain.id),
        );
        const outcome: AuditWriteOutcome = duplicate
          ? 'duplicate'
          : definitelyNotCommitted(error)
            ? 'rejected'
            : 'unknown';
        // A cancellation naming our own chain's items means our in-memory head is not what is stored: drop it.
        settle(outcome !== 'unknown' && !chainItemFailed ? chain : undefined);
        return outcome;
      },
    };
  }
}
