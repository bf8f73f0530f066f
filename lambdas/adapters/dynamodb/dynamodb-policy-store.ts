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
import type {
  NewPolicyVersion,
  PendingChange,
  PolicyAdminStore,
  PolicyVersionPage,
  ShadowRun,
  StoredPolicyVersion,
} from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';
import {
  ACTIVE_SK,
  activePolicyKey,
  pendingFromItem,
  pendingItem,
  pendingSk,
  POLICY_PK,
  policyItem,
  policyKey,
  policyRecordFromItem,
  SHADOW_SK,
  shadowItem,
  shadowRunFromItem,
  shadowRunSk,
  storedVersionFromItem,
  versionSk,
} from './items/policy';
import { auditedTransaction, NamedTransaction, type AuditPreparer } from './transaction';

/** The policy versions, pending changes and shadow runs in the policy table (layout: items/policy.ts). */

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
      new GetItemCommand({ TableName: this.tableName, Key: policyKey(sk), ConsistentRead: true }),
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

  /** The two entries that make `change` the active version: the new version and the moved ACTIVE pointer. */
  private versionEntries(change: NewPolicyVersion): NamedTransaction<'version' | 'active'> {
    const record = {
      version: change.policy.version,
      policy: change.policy,
      updatedAt: change.updatedAt,
      updatedBy: change.updatedBy,
      reason: change.reason,
      ...(change.approvedBy ? { approvedBy: change.approvedBy } : {}),
    };
    return new NamedTransaction<'version' | 'active'>()
      .add('version', {
        Put: {
          TableName: this.tableName,
          Item: policyItem(record, versionSk(record.version)),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      })
      .add('active', {
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
      });
  }

  async apply(change: NewPolicyVersion, audit: readonly AuditEvent[]): Promise<'applied' | 'stale'> {
    const result = await auditedTransaction(this.client, this.versionEntries(change), audit, this.options.audit);
    return result.ok ? 'applied' : 'stale';
  }

  async propose(
    change: PendingChange,
    audit: readonly AuditEvent[],
  ): Promise<'proposed' | 'stale' | 'already_pending'> {
    const entries = new NamedTransaction<'pending' | 'active'>()
      .add('pending', {
        Put: {
          TableName: this.tableName,
          Item: pendingItem(change),
          // A rejected proposal for the same version may be replaced; a pending one may not.
          ConditionExpression: 'attribute_not_exists(pk) OR #s <> :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':pending': { S: 'pending' } },
        },
      })
      .add('active', {
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
      });
    const result = await auditedTransaction(this.client, entries, audit, this.options.audit);
    if (result.ok) return 'proposed';
    return result.failed.has('active') ? 'stale' : 'already_pending';
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
        Key: policyKey(pendingSk(pending.version)),
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
    const entries = this.versionEntries({
      expectedVersion: pending.baseVersion,
      policy: pending.policy,
      updatedAt: approval.at,
      updatedBy: pending.proposedBy,
      reason: pending.reason,
      approvedBy: approval.by,
    }).with('pending', [this.settlePending(pending, 'approved', approval)]);
    const result = await auditedTransaction(this.client, entries, audit, this.options.audit);
    if (result.ok) return 'applied';
    return result.failed.has('pending') ? 'not_pending' : 'stale';
  }

  async reject(
    pending: PendingChange,
    rejection: { by: string; at: string; note?: string },
    audit: readonly AuditEvent[],
  ): Promise<'rejected' | 'not_pending'> {
    const result = await auditedTransaction(
      this.client,
      new NamedTransaction().add('pending', this.settlePending(pending, 'rejected', rejection)),
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
    const entries = new NamedTransaction<'shadow' | 'run'>()
      .add('shadow', {
        Put: {
          TableName: this.tableName,
          Item: shadowItem(run, SHADOW_SK),
          ConditionExpression: 'attribute_not_exists(pk) OR #s <> :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': { S: 'running' } },
        },
      })
      .add('run', {
        Put: {
          TableName: this.tableName,
          Item: shadowItem(run, shadowRunSk(run.runId)),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    const result = await auditedTransaction(this.client, entries, audit, this.options.audit);
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
        Key: policyKey(sk),
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
      new NamedTransaction().add('shadow', update(SHADOW_SK)).add('run', update(shadowRunSk(run.runId))),
      audit,
      this.options.audit,
    );
    return result.ok ? 'stopped' : 'not_running';
  }
}
