import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';
import type { GrantRedemption } from '../../ports/challenge-store';
import type {
  FinishRegistrationResult,
  PasskeyStore,
  PendingRegistration,
  StartRegistrationResult,
  StoredPasskey,
} from '../../ports/passkey-store';
import { auditedTransaction, type AuditPreparer } from './audited-transaction';
import {
  epochSeconds,
  key,
  passkeyFromItem,
  REMOVED_RETENTION_SECONDS,
  passkeyKeys,
  passkeyToItem,
  pendingFromItem,
  pendingToItem,
} from './items/passkey-items';
import { keys } from './risk-keys';
import type { TableNames } from './table-definitions';

/** A user has at most this many passkeys listed (and offered in one assertion): far more than anyone registers. */
const MAX_LISTED = 50;

/**
 * Passkeys in the risk table. Every change that must happen once (spending a pending ceremony, redeeming a grant,
 * moving a signature counter) is a DynamoDB condition, so concurrent requests cannot both succeed.
 */
export class DynamoDbPasskeyStore implements PasskeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
    private readonly audit?: AuditPreparer,
  ) {}

  private get table(): string {
    return this.tables.risk;
  }

  async list(userId: string): Promise<StoredPasskey[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': { S: passkeyKeys.partition(userId) },
          ':prefix': { S: passkeyKeys.credentialPrefix },
        },
        ConsistentRead: true,
        Limit: MAX_LISTED,
      }),
    );
    return (out.Items ?? []).flatMap((item) => passkeyFromItem(item) ?? []).sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(userId: string, passkeyId: string): Promise<StoredPasskey | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: key(passkeyKeys.credential(userId, passkeyId)),
        ConsistentRead: true,
      }),
    );
    const passkey = out.Item ? passkeyFromItem(out.Item) : undefined;
    return passkey?.userId === userId ? passkey : undefined;
  }

  /** Redeems a grant for a change of authenticators, once, only while it is as it was read and checked. */
  private redeem(redemption: GrantRedemption, now: number, purpose: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: key(keys.stepUp(redemption.stepUpId)),
        UpdateExpression:
          'SET changeRedeemedAt = :now, changeRedeemedFor = :purpose, #consumed = :true, revision = revision + :one',
        ConditionExpression: '#status = :granted AND attribute_not_exists(changeRedeemedAt) AND revision = :rev',
        ExpressionAttributeNames: { '#consumed': 'consumed', '#status': 'status' },
        ExpressionAttributeValues: {
          ':true': { BOOL: true },
          ':granted': { S: 'granted' },
          ':now': { N: String(now) },
          ':purpose': { S: purpose },
          ':one': { N: '1' },
          ':rev': { N: String(redemption.expectedRevision) },
        },
      },
    };
  }

  async startRegistration(input: {
    pending: PendingRegistration;
    redemption?: GrantRedemption;
    audit?: AuditEvent;
  }): Promise<StartRegistrationResult> {
    const items: TransactWriteItem[] = [];
    if (input.redemption) items.push(this.redeem(input.redemption, input.pending.createdAt, 'passkey.register'));
    items.push({ Put: { TableName: this.table, Item: pendingToItem(input.pending) } });
    const result = await auditedTransaction(this.client, items, input.audit ? [input.audit] : [], this.audit);
    if (result.ok) return 'started';
    if (input.redemption && result.failed.has(0)) return 'grant_used';
    throw new Error('passkey registration transaction failed on an unconditional item');
  }

  async getPendingRegistration(userId: string, now: number): Promise<PendingRegistration | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: key(passkeyKeys.pending(userId)), ConsistentRead: true }),
    );
    const pending = out.Item ? pendingFromItem(out.Item) : undefined;
    return pending && pending.userId === userId && pending.pendingUntil > now ? pending : undefined;
  }

  async finishRegistration(input: {
    passkey: StoredPasskey;
    challenge: string;
    now: number;
    audit: AuditEvent;
  }): Promise<FinishRegistrationResult> {
    const { passkey } = input;
    const result = await auditedTransaction(
      this.client,
      [
        {
          // Spent, not deleted (no stepgate function may delete): the ceremony answers once.
          Update: {
            TableName: this.table,
            Key: key(passkeyKeys.pending(passkey.userId)),
            UpdateExpression: 'SET usedAt = :now',
            ConditionExpression: 'challenge = :challenge AND pendingUntil > :now AND attribute_not_exists(usedAt)',
            ExpressionAttributeValues: { ':challenge': { S: input.challenge }, ':now': { N: String(input.now) } },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: passkeyToItem(passkey),
            // A credential removed earlier may be registered again; a live one may not be registered twice.
            ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(removedAt)',
          },
        },
      ],
      [input.audit],
      this.audit,
    );
    if (result.ok) return 'registered';
    if (result.failed.has(0)) return 'no_pending';
    return 'duplicate';
  }

  async rename(input: { userId: string; passkeyId: string; name: string; audit: AuditEvent }): Promise<boolean> {
    const result = await auditedTransaction(
      this.client,
      [
        {
          Update: {
            TableName: this.table,
            Key: key(passkeyKeys.credential(input.userId, input.passkeyId)),
            UpdateExpression: 'SET #name = :name',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt)',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: { ':name': { S: input.name } },
          },
        },
      ],
      [input.audit],
      this.audit,
    );
    return result.ok;
  }

  async remove(input: {
    userId: string;
    passkeyId: string;
    now: number;
    redemption: GrantRedemption;
    audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_found'> {
    const result = await auditedTransaction(
      this.client,
      [
        this.redeem(input.redemption, input.now, 'passkey.remove'),
        {
          // Marked removed (never usable again from this write on) and left to TTL: no function may delete.
          Update: {
            TableName: this.table,
            Key: key(passkeyKeys.credential(input.userId, input.passkeyId)),
            UpdateExpression: 'SET removedAt = :now, expiresAt = :ttl',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt)',
            ExpressionAttributeValues: {
              ':now': { N: String(input.now) },
              ':ttl': { N: String(epochSeconds(input.now) + REMOVED_RETENTION_SECONDS) },
            },
          },
        },
      ],
      input.audit,
      this.audit,
    );
    if (result.ok) return 'removed';
    return result.failed.has(0) ? 'grant_used' : 'not_found';
  }

  async recordUse(input: {
    userId: string;
    passkeyId: string;
    expected: number;
    next: number;
    now: number;
  }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(passkeyKeys.credential(input.userId, input.passkeyId)),
          UpdateExpression: 'SET signCount = :next, lastUsedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt) AND signCount = :expected',
          ExpressionAttributeValues: {
            ':next': { N: String(input.next) },
            ':now': { N: String(input.now) },
            ':expected': { N: String(input.expected) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
