import { upgradeStoredPolicy } from '../../core/policy/policy-upgrade';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';
import { parsePolicy, type Policy } from '../../core/policy/policy-schema';
import type {
  NewPolicyVersion,
  PendingChange,
  PendingStatus,
  PolicyAdminStore,
  PolicyVersionPage,
  ShadowCandidate,
  ShadowRun,
  StoredPolicyVersion,
} from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';
import { auditedTransaction, type AuditPreparer } from './audited-transaction';

/**
 * Policy table layout (pk `POLICY` for all items):
 *
 * | sk                    | item                                                                              |
 * |-----------------------|-----------------------------------------------------------------------------------|
 * | `ACTIVE`              | full copy of the active version: one GetItem, or one key in a decision's BatchGet |
 * | `V#000001`            | every version ever stored; immutable once written                                 |
 * | `PENDING#000002`      | a change awaiting a second person's approval (becomes that version)               |
 * | `SHADOW`              | the current (or last) shadow run, read beside ACTIVE by the decision path         |
 * | `SHADOWRUN#<runId>`   | every shadow run, for reports after it stopped                                    |
 *
 * Documents are kept as JSON strings so DynamoDB's type mapping can never alter them. A change writes the new
 * `V#` item (`attribute_not_exists`) and moves ACTIVE (condition `version = :expected`) in ONE TransactWriteItems
 * together with its audit records, so two admins editing the same version cannot both win, and nothing changes
 * without its audit record. Nothing is ever deleted (the admin function has no DeleteItem permission).
 */
export const POLICY_PK = 'POLICY';
export const ACTIVE_SK = 'ACTIVE';
export const SHADOW_SK = 'SHADOW';

export function versionSk(version: number): string {
  return `V#${String(version).padStart(6, '0')}`;
}

export function pendingSk(version: number): string {
  return `PENDING#${String(version).padStart(6, '0')}`;
}

export function shadowRunSk(runId: string): string {
  return `SHADOWRUN#${runId}`;
}

export const activePolicyKey: Record<string, AttributeValue> = { pk: { S: POLICY_PK }, sk: { S: ACTIVE_SK } };
export const shadowPolicyKey: Record<string, AttributeValue> = { pk: { S: POLICY_PK }, sk: { S: SHADOW_SK } };

const key = (sk: string): Record<string, AttributeValue> => ({ pk: { S: POLICY_PK }, sk: { S: sk } });

export class CorruptPolicyError extends Error {
  readonly code = 'corrupt_policy';
}

function parseDocument(item: Record<string, AttributeValue>): Policy {
  let document: unknown;
  try {
    document = JSON.parse(item.document?.S ?? '');
  } catch (error) {
    throw new CorruptPolicyError('stored policy document is not JSON', { cause: error });
  }
  const parsed = parsePolicy(upgradeStoredPolicy(document));
  if (!parsed.ok) throw new CorruptPolicyError(`stored policy is invalid at ${parsed.issues[0]?.path ?? '?'}`);
  return parsed.policy;
}

/** Reads a stored policy item; a damaged one is reported as CorruptPolicyError, never used half-parsed. */
export function policyRecordFromItem(item: Record<string, AttributeValue>): PolicyRecord {
  const policy = parseDocument(item);
  return {
    version: Number(item.version?.N ?? policy.version),
    policy,
    updatedAt: item.updatedAt?.S ?? '',
    updatedBy: item.updatedBy?.S ?? '',
    ...(item.reason?.S ? { reason: item.reason.S } : {}),
  };
}

function storedVersionFromItem(item: Record<string, AttributeValue>): StoredPolicyVersion {
  return { ...policyRecordFromItem(item), ...(item.approvedBy?.S ? { approvedBy: item.approvedBy.S } : {}) };
}

export function policyItem(record: PolicyRecord & { approvedBy?: string }, sk: string): Record<string, AttributeValue> {
  return {
    pk: { S: POLICY_PK },
    sk: { S: sk },
    version: { N: String(record.version) },
    document: { S: JSON.stringify(record.policy) },
    updatedAt: { S: record.updatedAt },
    updatedBy: { S: record.updatedBy },
    ...(record.reason ? { reason: { S: record.reason } } : {}),
    ...(record.approvedBy ? { approvedBy: { S: record.approvedBy } } : {}),
  };
}

function shadowItem(run: ShadowRun, sk: string): Record<string, AttributeValue> {
  return {
    ...key(sk),
    runId: { S: run.runId },
    document: { S: JSON.stringify(run.policy) },
    status: { S: run.status },
    startedAt: { S: run.startedAt },
    startedBy: { S: run.startedBy },
    reason: { S: run.reason },
    ...(run.stoppedAt ? { stoppedAt: { S: run.stoppedAt } } : {}),
    ...(run.stoppedBy ? { stoppedBy: { S: run.stoppedBy } } : {}),
  };
}

function shadowRunFromItem(item: Record<string, AttributeValue>): ShadowRun {
  return {
    runId: item.runId?.S ?? '',
    policy: parseDocument(item),
    status: item.status?.S === 'running' ? 'running' : 'stopped',
    startedAt: item.startedAt?.S ?? '',
    startedBy: item.startedBy?.S ?? '',
    reason: item.reason?.S ?? '',
    ...(item.stoppedAt?.S ? { stoppedAt: item.stoppedAt.S } : {}),
    ...(item.stoppedBy?.S ? { stoppedBy: item.stoppedBy.S } : {}),
  };
}

/**
 * The decision path's view of the SHADOW item: the candidate while a run is active, `null` otherwise. A damaged
 * item also reads as `null`: a broken experiment must never break a decision.
 */
export function shadowCandidateFromItem(item: Record<string, AttributeValue> | undefined): ShadowCandidate | null {
  if (!item || item.status?.S !== 'running' || !item.runId?.S) return null;
  try {
    return { runId: item.runId.S, policy: parseDocument(item) };
  } catch {
    return null;
  }
}

function pendingItem(change: PendingChange): Record<string, AttributeValue> {
  return {
    ...key(pendingSk(change.version)),
    version: { N: String(change.version) },
    baseVersion: { N: String(change.baseVersion) },
    document: { S: JSON.stringify(change.policy) },
    reason: { S: change.reason },
    proposedBy: { S: change.proposedBy },
    proposedBySubject: { S: change.proposedBySubject },
    proposedAt: { S: change.proposedAt },
    status: { S: change.status },
    ...(change.weakening || change.backtest
      ? { review: { S: JSON.stringify({ weakening: change.weakening, backtest: change.backtest }) } }
      : {}),
  };
}

/** What the approver is shown with a pending change; written by this store, so only its shape is checked. */
function reviewFromItem(item: Record<string, AttributeValue>): Pick<PendingChange, 'weakening' | 'backtest'> {
  try {
    const review = JSON.parse(item.review?.S ?? '{}') as Pick<PendingChange, 'weakening' | 'backtest'> | null;
    return {
      ...(Array.isArray(review?.weakening) ? { weakening: review.weakening } : {}),
      ...(review?.backtest && typeof review.backtest === 'object' ? { backtest: review.backtest } : {}),
    };
  } catch {
    return {};
  }
}

function pendingFromItem(item: Record<string, AttributeValue>): PendingChange {
  return {
    version: Number(item.version?.N ?? 0),
    baseVersion: Number(item.baseVersion?.N ?? 0),
    policy: parseDocument(item),
    reason: item.reason?.S ?? '',
    proposedBy: item.proposedBy?.S ?? '',
    proposedBySubject: item.proposedBySubject?.S ?? '',
    proposedAt: item.proposedAt?.S ?? '',
    status: (item.status?.S ?? 'pending') as PendingStatus,
    ...reviewFromItem(item),
    ...(item.decidedBy?.S ? { decidedBy: item.decidedBy.S } : {}),
    ...(item.decidedAt?.S ? { decidedAt: item.decidedAt.S } : {}),
    ...(item.decisionNote?.S ? { decisionNote: item.decisionNote.S } : {}),
  };
}

export interface DynamoDbPolicyStoreOptions {
  /** Writes the audit records of every change in the change's own transaction (DynamoDbAuditLog). */
  readonly audit?: AuditPreparer;
}

export class DynamoDbPolicyStore implements PolicyAdminStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly options: DynamoDbPolicyStoreOptions = {},
  ) {}

  private async get(sk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key(sk), ConsistentRead: true }),
    );
    return out.Item;
  }

  async getActive(): Promise<PolicyRecord | undefined> {
    const item = await this.get(ACTIVE_SK);
    return item ? policyRecordFromItem(item) : undefined;
  }

  /** Stores `record` as version 1 and active, unless a policy exists already (restarts keep tuned policies). */
  async seedIfEmpty(record: PolicyRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: policyItem(record, ACTIVE_SK),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.client.send(
      new PutItemCommand({ TableName: this.tableName, Item: policyItem(record, versionSk(record.version)) }),
    );
    return true;
  }

  async getVersion(version: number): Promise<StoredPolicyVersion | undefined> {
    const item = await this.get(versionSk(version));
    return item ? storedVersionFromItem(item) : undefined;
  }

  async listVersions(options: { limit: number; before?: number }): Promise<PolicyVersionPage> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': { S: POLICY_PK },
          ':lo': { S: versionSk(0) },
          ':hi': { S: versionSk(Math.max(0, (options.before ?? 1_000_000) - 1)) },
        },
        // The documents stay in the table: a history page lists who changed what when, `GET .../{version}` reads one.
        ProjectionExpression: '#v, #ua, #ub, #r, #ab',
        ExpressionAttributeNames: {
          '#v': 'version',
          '#ua': 'updatedAt',
          '#ub': 'updatedBy',
          '#r': 'reason',
          '#ab': 'approvedBy',
        },
        ScanIndexForward: false,
        Limit: options.limit,
        ConsistentRead: true,
      }),
    );
    const versions = (out.Items ?? []).map((item) => ({
      version: Number(item.version?.N ?? 0),
      updatedAt: item.updatedAt?.S ?? '',
      updatedBy: item.updatedBy?.S ?? '',
      ...(item.reason?.S ? { reason: item.reason.S } : {}),
      ...(item.approvedBy?.S ? { approvedBy: item.approvedBy.S } : {}),
    }));
    const last = versions[versions.length - 1];
    return {
      versions,
      ...(out.LastEvaluatedKey && last && last.version > 1 ? { nextBefore: last.version } : {}),
    };
  }

  /** The two items that make `change` the active version: the new version and the moved ACTIVE pointer. */
  private versionItems(change: NewPolicyVersion): TransactWriteItem[] {
    const record = {
      version: change.policy.version,
      policy: change.policy,
      updatedAt: change.updatedAt,
      updatedBy: change.updatedBy,
      reason: change.reason,
      ...(change.approvedBy ? { approvedBy: change.approvedBy } : {}),
    };
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: policyItem(record, versionSk(record.version)),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: policyItem(record, ACTIVE_SK),
          // Version 0 is the built-in default that is in force while the table holds no policy at all.
          ...(change.expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#v = :expected',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':expected': { N: String(change.expectedVersion) } },
              }),
        },
      },
    ];
  }

  async apply(change: NewPolicyVersion, audit: readonly AuditEvent[]): Promise<'applied' | 'stale'> {
    const result = await auditedTransaction(this.client, this.versionItems(change), audit, this.options.audit);
    return result.ok ? 'applied' : 'stale';
  }

  async propose(
    change: PendingChange,
    audit: readonly AuditEvent[],
  ): Promise<'proposed' | 'stale' | 'already_pending'> {
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: pendingItem(change),
          // A rejected proposal for the same version may be replaced; a pending one may not.
          ConditionExpression: 'attribute_not_exists(pk) OR #s <> :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':pending': { S: 'pending' } },
        },
      },
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: activePolicyKey,
          ...(change.baseVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#v = :base',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':base': { N: String(change.baseVersion) } },
              }),
        },
      },
    ];
    const result = await auditedTransaction(this.client, items, audit, this.options.audit);
    if (result.ok) return 'proposed';
    return result.failed.has(1) ? 'stale' : 'already_pending';
  }

  async getPending(version: number): Promise<PendingChange | undefined> {
    const item = await this.get(pendingSk(version));
    return item ? pendingFromItem(item) : undefined;
  }

  async listPending(): Promise<readonly PendingChange[]> {
    const out: PendingChange[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':pk': { S: POLICY_PK },
            ':prefix': { S: 'PENDING#' },
            ':pending': { S: 'pending' },
          },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(pendingFromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private settlePending(
    pending: PendingChange,
    status: 'approved' | 'rejected',
    decision: { by: string; at: string; note?: string },
  ): TransactWriteItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: key(pendingSk(pending.version)),
        UpdateExpression: `SET #s = :status, decidedBy = :by, decidedAt = :at${decision.note ? ', decisionNote = :note' : ''}`,
        // proposedAt tells this proposal from a later one for the same version number.
        ConditionExpression: '#s = :pending AND proposedAt = :proposedAt',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':status': { S: status },
          ':by': { S: decision.by },
          ':at': { S: decision.at },
          ':pending': { S: 'pending' },
          ':proposedAt': { S: pending.proposedAt },
          ...(decision.note ? { ':note': { S: decision.note } } : {}),
        },
      },
    };
  }

  async approve(
    pending: PendingChange,
    approval: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'applied' | 'stale' | 'not_pending'> {
    const items = [
      ...this.versionItems({
        expectedVersion: pending.baseVersion,
        policy: pending.policy,
        updatedAt: approval.at,
        updatedBy: pending.proposedBy,
        reason: pending.reason,
        approvedBy: approval.by,
      }),
      this.settlePending(pending, 'approved', approval),
    ];
    const result = await auditedTransaction(this.client, items, audit, this.options.audit);
    if (result.ok) return 'applied';
    return result.failed.has(2) ? 'not_pending' : 'stale';
  }

  async reject(
    pending: PendingChange,
    rejection: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'rejected' | 'not_pending'> {
    const result = await auditedTransaction(
      this.client,
      [this.settlePending(pending, 'rejected', rejection)],
      audit,
      this.options.audit,
    );
    return result.ok ? 'rejected' : 'not_pending';
  }

  async getShadow(): Promise<ShadowRun | undefined> {
    const item = await this.get(SHADOW_SK);
    return item ? shadowRunFromItem(item) : undefined;
  }

  async getShadowRun(runId: string): Promise<ShadowRun | undefined> {
    const item = await this.get(shadowRunSk(runId));
    return item ? shadowRunFromItem(item) : undefined;
  }

  async startShadow(run: ShadowRun, audit: readonly AuditEvent[]): Promise<'started' | 'already_running'> {
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: shadowItem(run, SHADOW_SK),
          ConditionExpression: 'attribute_not_exists(pk) OR #s <> :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': { S: 'running' } },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: shadowItem(run, shadowRunSk(run.runId)),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    const result = await auditedTransaction(this.client, items, audit, this.options.audit);
    return result.ok ? 'started' : 'already_running';
  }

  async stopShadow(
    run: ShadowRun,
    stop: { by: string; at: string },
    audit: readonly AuditEvent[],
  ): Promise<'stopped' | 'not_running'> {
    const update = (sk: string): TransactWriteItem => ({
      Update: {
        TableName: this.tableName,
        Key: key(sk),
        UpdateExpression: 'SET #s = :stopped, stoppedAt = :at, stoppedBy = :by',
        ConditionExpression: '#s = :running AND runId = :run',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':stopped': { S: 'stopped' },
          ':running': { S: 'running' },
          ':run': { S: run.runId },
          ':at': { S: stop.at },
          ':by': { S: stop.by },
        },
      },
    });
    const result = await auditedTransaction(
      this.client,
      [update(SHADOW_SK), update(shadowRunSk(run.runId))],
      audit,
      this.options.audit,
    );
    return result.ok ? 'stopped' : 'not_running';
  }
}
