import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
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
import type { TableNames } from '../../contracts/tables';
import { redeemForChange } from './items/grant';
import { keyAttributes, n, s } from './items/item';
import {
  passkeyFromItem,
  passkeyKeys,
  passkeyToItem,
  pendingFromItem,
  pendingToItem,
  removedPasskeyExpiry,
} from './items/passkey';
import { auditedTransaction, NamedTransaction, type AuditPreparer } from './transaction';

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
          ':pk': s(passkeyKeys.partition(userId)),
          ':prefix': s(passkeyKeys.credentialPrefix),
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
        Key: keyAttributes(passkeyKeys.credential(userId, passkeyId)),
        ConsistentRead: true,
      }),
    );
    const passkey = out.Item ? passkeyFromItem(out.Item) : undefined;
    return passkey?.userId === userId ? passkey : undefined;
  }

  async startRegistration(input: {
    pending: PendingRegistration;
    redemption?: GrantRedemption;
    audit?: AuditEvent;
  }): Promise<StartRegistrationResult> {
    const change = new NamedTransaction<'grant' | 'pending'>();
    if (input.redemption) {
      change.add('grant', redeemForChange(this.table, input.redemption, input.pending.createdAt, 'passkey.register'));
    }
    change.add('pending', { Put: { TableName: this.table, Item: pendingToItem(input.pending) } });
    const result = await auditedTransaction(this.client, change, input.audit ? [input.audit] : [], this.audit);
    if (result.ok) return 'started';
    if (result.failed.has('grant')) return 'grant_used';
    throw result.error;
  }

  async getPendingRegistration(userId: string, now: number): Promise<PendingRegistration | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: keyAttributes(passkeyKeys.pending(userId)),
        ConsistentRead: true,
      }),
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
    const change = new NamedTransaction<'pending' | 'passkey'>()
      .add('pending', {
        // Spent, not deleted (no stepgate function may delete): the ceremony answers once.
        Update: {
          TableName: this.table,
          Key: keyAttributes(passkeyKeys.pending(passkey.userId)),
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'challenge = :challenge AND pendingUntil > :now AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':challenge': s(input.challenge), ':now': n(input.now) },
        },
      })
      .add('passkey', {
        Put: {
          TableName: this.table,
          Item: passkeyToItem(passkey),
          // A credential removed earlier may be registered again; a live one may not be registered twice.
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(removedAt)',
        },
      });
    const result = await auditedTransaction(this.client, change, [input.audit], this.audit);
    if (result.ok) return 'registered';
    if (result.failed.has('pending')) return 'no_pending';
    return 'duplicate';
  }

  async rename(input: { userId: string; passkeyId: string; name: string; audit: AuditEvent }): Promise<boolean> {
    const change = new NamedTransaction<'passkey'>().add('passkey', {
      Update: {
        TableName: this.table,
        Key: keyAttributes(passkeyKeys.credential(input.userId, input.passkeyId)),
        UpdateExpression: 'SET #name = :name',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt)',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': s(input.name) },
      },
    });
    const result = await auditedTransaction(this.client, change, [input.audit], this.audit);
    return result.ok;
  }

  async remove(input: {
    userId: string;
    passkeyId: string;
    now: number;
    redemption: GrantRedemption;
    audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_found'> {
    const change = new NamedTransaction<'grant' | 'passkey'>()
      .add('grant', redeemForChange(this.table, input.redemption, input.now, 'passkey.remove'))
      .add('passkey', {
        // Marked removed (never usable again from this write on) and left to TTL: no function may delete.
        Update: {
          TableName: this.table,
          Key: keyAttributes(passkeyKeys.credential(input.userId, input.passkeyId)),
          UpdateExpression: 'SET removedAt = :now, expiresAt = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt)',
          ExpressionAttributeValues: { ':now': n(input.now), ':ttl': removedPasskeyExpiry(input.now) },
        },
      });
    const result = await auditedTransaction(this.client, change, input.audit, this.audit);
    if (result.ok) return 'removed';
    return result.failed.has('grant') ? 'grant_used' : 'not_found';
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
          Key: keyAttributes(passkeyKeys.credential(input.userId, input.passkeyId)),
          UpdateExpression: 'SET signCount = :next, lastUsedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt) AND signCount = :expected',
          ExpressionAttributeValues: {
            ':next': n(input.next),
            ':now': n(input.now),
            ':expected': n(input.expected),
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
