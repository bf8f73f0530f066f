import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FailureCounter, FailureKind } from '../../ports/decision-store';
import { failureUpdate } from './items/velocity';
import type { TableNames } from '../../contracts/tables';

/**
 * The one writer of a user's failure counts (the `signIns` and `stepUps` attributes of the user's hourly velocity
 * item), which the decision's `velocity.failed_*` signals read: failed sign-ins that apps report as outcomes, and
 * failed step-up tries that the verify trigger counts.
 */
export class DynamoDbFailureCounter implements FailureCounter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
  ) {}

  async recordFailure(userId: string, kind: FailureKind, now: number): Promise<void> {
    await this.client.send(new UpdateItemCommand(failureUpdate(this.tables.risk, userId, kind, now)));
  }
}
