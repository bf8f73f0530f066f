import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../core/audit/audit-event';
import type {
  AuthenticatorStore,
  EnrolmentAuthorisation,
  GrantRedemption,
  PendingTotp,
  StartEnrolmentResult,
  StepUpRecord,
  StoredChallenge,
  TotpEnrollment,
} from '../../ports/challenge-store';
import type { SecretSealer } from '../../ports/secret-sealer';
import { challengeFromItem, challengeKey } from './items/challenge';
import { redeemForChange, stepUpRecordFromItem } from './items/grant';
import { keyAttributes, n, s, type Item } from './items/item';
import { stepUpKey } from './items/step-up';
import {
  activeTotpToItem,
  pendingTotpToItem,
  sealedPendingFromItem,
  sealedTotpFromItem,
  totpKeys,
  totpSealContext,
} from './items/totp';
import { expiresAt, live, TTL_SECONDS } from './items/ttl';
import { conditionalUpdate, getItem } from './single-item';
import { auditedTransaction, NamedTransaction, type AuditPreparer } from './transaction';
import type { TableNames } from '../../contracts/tables';

export interface DynamoDbAuthenticatorStoreOptions {
  readonly sealer: SecretSealer;
  /** Audit records that must commit together with the change they describe (changes of authenticators). */
  readonly audit?: AuditPreparer;
}

/**
 * A user's TOTP authenticator and its enrolments (items/totp.ts). Secrets are sealed before they are written and
 * opened after they are read; a secret that does not open (tampered, moved to another user) reads as no
 * authenticator. Every change that redeems a grant does so in the change's own transaction, with its audit records.
 */
export class DynamoDbAuthenticatorStore implements AuthenticatorStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
    private readonly options: DynamoDbAuthenticatorStoreOptions,
  ) {}

  private get table(): string {
    return this.tables.risk;
  }

  async getStepUp(stepUpId: string, now: number): Promise<StepUpRecord | undefined> {
    const item = live(await getItem(this.client, this.table, stepUpKey(stepUpId)), now);
    return item ? stepUpRecordFromItem(item) : undefined;
  }

  async getChallenge(challengeId: string): Promise<StoredChallenge | undefined> {
    const item = await getItem(this.client, this.table, challengeKey(challengeId));
    return item ? challengeFromItem(item) : undefined;
  }

  private open(userId: string, sealed: string): Promise<string | undefined> {
    return this.options.sealer.open(sealed, totpSealContext(userId));
  }

  private seal(userId: string, secret: string): Promise<string> {
    return this.options.sealer.seal(secret, totpSealContext(userId));
  }

  private async totpFromItem(userId: string, item: Item): Promise<TotpEnrollment | undefined> {
    const stored = sealedTotpFromItem(item);
    if (!stored) return undefined;
    const { sealedSecret, ...rest } = stored;
    const secret = await this.open(userId, sealedSecret);
    return secret === undefined ? undefined : { userId, secret, ...rest };
  }

  private async pendingFromItem(userId: string, item: Item): Promise<PendingTotp | undefined> {
    const stored = sealedPendingFromItem(item);
    if (!stored) return undefined;
    const { sealedSecret, ...rest } = stored;
    const secret = await this.open(userId, sealedSecret);
    return secret === undefined ? undefined : { userId, secret, ...rest };
  }

  async getTotp(userId: string): Promise<TotpEnrollment | undefined> {
    const item = await getItem(this.client, this.table, totpKeys.active(userId));
    return item ? this.totpFromItem(userId, item) : undefined;
  }

  async useTimeStep(userId: string, timeStep: number): Promise<boolean> {
    const out = await conditionalUpdate(this.client, this.table, {
      key: totpKeys.active(userId),
      update: 'SET lastTimeStep = :step',
      condition: '#status = :active AND (attribute_not_exists(lastTimeStep) OR lastTimeStep < :step)',
      values: { ':active': s('active'), ':step': n(timeStep) },
      names: { '#status': 'status' },
    });
    return out !== undefined;
  }

  async startTotpEnrolment(input: {
    userId: string;
    secret: string;
    now: number;
    pendingMs: number;
    authorisation: EnrolmentAuthorisation;
    replaces: boolean;
    redemption?: GrantRedemption;
    audit?: AuditEvent;
  }): Promise<StartEnrolmentResult> {
    const { userId, now } = input;
    const change = new NamedTransaction<'grant' | 'pending' | 'authenticator'>();
    if (input.redemption) change.add('grant', redeemForChange(this.table, input.redemption, now, 'totp.enroll'));
    change.add('pending', {
      Put: {
        TableName: this.table,
        Item: pendingTotpToItem(userId, {
          sealedSecret: await this.seal(userId, input.secret),
          createdAt: now,
          pendingUntil: now + input.pendingMs,
          confirmTries: 0,
          authorisation: input.authorisation,
          replaces: input.replaces,
        }),
      },
    });
    // The authenticator this enrolment was judged against must still be there (or still be absent).
    change.add('authenticator', {
      ConditionCheck: {
        TableName: this.table,
        Key: keyAttributes(totpKeys.active(userId)),
        ConditionExpression: input.replaces ? '#status = :active' : 'attribute_not_exists(pk) OR #status <> :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': s('active') },
      },
    });
    const result = await auditedTransaction(this.client, change, input.audit ? [input.audit] : [], this.options.audit);
    if (result.ok) return 'started';
    if (result.failed.has('grant')) return 'grant_used';
    if (result.failed.has('authenticator')) return 'changed';
    throw new Error('TOTP enrolment transaction failed on an unconditional item');
  }

  async getPendingTotp(userId: string): Promise<PendingTotp | undefined> {
    const item = await getItem(this.client, this.table, totpKeys.pending(userId));
    return item ? this.pendingFromItem(userId, item) : undefined;
  }

  async beginTotpConfirm(userId: string, now: number, maxTries: number): Promise<PendingTotp | undefined> {
    const out = await conditionalUpdate(this.client, this.table, {
      key: totpKeys.pending(userId),
      update: 'SET confirmTries = confirmTries + :one',
      condition:
        'attribute_exists(sealedSecret) AND attribute_not_exists(confirmedAt) AND pendingUntil > :now AND confirmTries < :maxTries',
      values: { ':one': n(1), ':now': n(now), ':maxTries': n(maxTries) },
    });
    return out ? this.pendingFromItem(userId, out) : undefined;
  }

  async activateTotp(pending: PendingTotp, timeStep: number, now: number, audit: AuditEvent): Promise<boolean> {
    const { userId } = pending;
    // The pending enrolment becomes the active authenticator if and only if its audit record is written.
    const change = new NamedTransaction<'pending' | 'authenticator'>()
      .add('pending', {
        // Spent rather than deleted (no function may delete): it can never be confirmed again, and TTL removes it.
        Update: {
          TableName: this.table,
          Key: keyAttributes(totpKeys.pending(userId)),
          UpdateExpression: 'SET confirmedAt = :now REMOVE sealedSecret',
          // The very enrolment that was confirmed (a newer one replaced it otherwise), unspent and unexpired.
          ConditionExpression:
            'createdAt = :createdAt AND pendingUntil > :now AND attribute_exists(sealedSecret) AND attribute_not_exists(confirmedAt)',
          ExpressionAttributeValues: { ':createdAt': n(pending.createdAt), ':now': n(now) },
        },
      })
      .add('authenticator', {
        Put: {
          TableName: this.table,
          Item: activeTotpToItem(userId, {
            sealedSecret: await this.seal(userId, pending.secret),
            createdAt: pending.createdAt,
            confirmedAt: now,
            lastTimeStep: timeStep,
            confirmTries: pending.confirmTries,
          }),
        },
      });
    const result = await auditedTransaction(this.client, change, [audit], this.options.audit);
    return result.ok;
  }

  async removeTotp(input: {
    userId: string;
    now: number;
    redemption: GrantRedemption;
    audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_enrolled'> {
    const change = new NamedTransaction<'grant' | 'authenticator'>()
      .add('grant', redeemForChange(this.table, input.redemption, input.now, 'totp.remove'))
      .add('authenticator', {
        // The secret is erased and the item marked removed (no function may delete); TTL removes it later.
        Update: {
          TableName: this.table,
          Key: keyAttributes(totpKeys.active(input.userId)),
          UpdateExpression: 'SET #status = :removed, removedAt = :now, expiresAt = :ttl REMOVE sealedSecret',
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':active': s('active'),
            ':removed': s('removed'),
            ':now': n(input.now),
            ':ttl': expiresAt(input.now, TTL_SECONDS.removedTotp),
          },
        },
      });
    const result = await auditedTransaction(this.client, change, input.audit, this.options.audit);
    if (result.ok) return 'removed';
    return result.failed.has('grant') ? 'grant_used' : 'not_enrolled';
  }
}
