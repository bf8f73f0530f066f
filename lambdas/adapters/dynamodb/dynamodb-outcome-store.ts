import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Outcome, OutcomeStore, StoredDecision } from '../../ports/decision-store';
import { decisionKey, outcomeUpdate, storedDecisionFromItem } from './items/decision';
import { keyAttributes } from './items/item';
import type { TableNames } from '../../contracts/tables';

/** The outcome an app reports for one of its decisions, on the decision's own item (items/decision.ts). */
export class DynamoDbOutcomeStore implements OutcomeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
  ) {}

  async getDecision(decisionId: string): Promise<StoredDecision | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tables.risk,
        Key: keyAttributes(decisionKey(decisionId)),
        ConsistentRead: true,
      }),
    );
    return out.Item ? storedDecisionFromItem(decisionId, out.Item) : undefined;
  }

  async recordOutcome(decisionId: string, outcome: Outcome, now: number): Promise<'recorded' | 'same' | 'conflict'> {
    try {
      await this.client.send(new UpdateItemCommand(outcomeUpdate(this.tables.risk, decisionId, outcome, now)));
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getDecision(decisionId);
      return existing?.outcome === outcome ? 'same' : 'conflict';
    }
  }
}
