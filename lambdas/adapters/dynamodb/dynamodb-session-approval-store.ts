import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SessionApproval, SessionApprovalStore } from '../../ports/challenge-store';
import { approvalFromItem, approvalKey, approvalToItem } from './items/approval';
import { n, s } from './items/item';
import { live } from './items/ttl';
import { conditionalUpdate, getItem } from './single-item';
import type { TableNames } from '../../contracts/tables';

/** Define Auth Challenge's approvals of finished sessions (items/approval.ts), each turned into tokens once. */
export class DynamoDbSessionApprovalStore implements SessionApprovalStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
  ) {}

  async approve(approval: SessionApproval): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.risk,
          Item: approvalToItem(approval),
          // A retry rewrites its own approval; once tokens were issued under this key, nothing replaces it.
          ConditionExpression: 'attribute_not_exists(tokensIssuedAt)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async claimForTokens(input: {
    kind: SessionApproval['kind'];
    id: string;
    userName: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    const out = await conditionalUpdate(this.client, this.tables.risk, {
      key: approvalKey(input.kind, input.id),
      update: 'SET tokensIssuedAt = :now',
      condition:
        'attribute_exists(pk) AND attribute_not_exists(tokensIssuedAt) AND userName = :user AND approvedAt >= :fresh AND approvedAt <= :now',
      values: { ':now': n(input.now), ':user': s(input.userName), ':fresh': n(input.now - input.maxAgeMs) },
    });
    return out ? approvalFromItem(out) : undefined;
  }

  async findApproval(input: {
    kind: SessionApproval['kind'];
    id: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    const item = live(await getItem(this.client, this.tables.risk, approvalKey(input.kind, input.id)), input.now);
    const approval = item ? approvalFromItem(item) : undefined;
    if (!approval || approval.approvedAt < input.now - input.maxAgeMs || approval.approvedAt > input.now)
      return undefined;
    return approval;
  }
}
